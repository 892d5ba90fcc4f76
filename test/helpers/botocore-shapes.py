"""Checks XML responses against botocore's service models (botocore comes with moto and the AWS CLI).

stdin: JSON list of {"service": "ec2"|"iam", "operation": "DescribeInstances", "xml": "..."}.
stdout: JSON list of problems, one string each: an element that is not a member of its shape, a
list item with the wrong name, or a boolean, integer, timestamp or enum value of the wrong form.
"""
import gzip
import json
import os
import sys
import xml.etree.ElementTree as ET

import botocore

VERSIONS = {"ec2": "2016-11-15", "iam": "2010-05-08"}


def load_model(service):
    path = os.path.join(os.path.dirname(botocore.__file__), "data", service, VERSIONS[service], "service-2.json")
    if os.path.exists(path):
        with open(path) as f:
            return json.load(f)
    with gzip.open(path + ".gz") as f:
        return json.load(f)


def local(tag):
    return tag.split("}")[-1]


def walk(model, element, shape_name, path, problems):
    shape = model["shapes"][shape_name]
    kind = shape["type"]
    if kind == "structure":
        members = {spec.get("locationName", name): spec["shape"] for name, spec in shape["members"].items()}
        for child in element:
            tag = local(child.tag)
            if tag in members:
                walk(model, child, members[tag], f"{path}/{tag}", problems)
            else:
                problems.append(f"{path}/{tag}: not a member of {shape_name}")
    elif kind == "list":
        item = shape["member"].get("locationName", "member")
        for child in element:
            tag = local(child.tag)
            if tag != item:
                problems.append(f"{path}/{tag}: list items of {shape_name} are <{item}>")
            walk(model, child, shape["member"]["shape"], f"{path}/{tag}", problems)
    else:
        text = element.text or ""
        if len(element):
            problems.append(f"{path}: {shape_name} is a {kind}, not a structure")
        elif kind == "boolean" and text not in ("true", "false"):
            problems.append(f"{path}: {text!r} is not a boolean")
        elif kind in ("integer", "long") and not text.lstrip("-").isdigit():
            problems.append(f"{path}: {text!r} is not an integer")
        elif kind == "timestamp" and "T" not in text:
            problems.append(f"{path}: {text!r} is not an ISO-8601 timestamp")
        elif kind == "string" and "enum" in shape and text not in shape["enum"]:
            problems.append(f"{path}: {text!r} is not one of {shape_name}")


def check(models, response):
    service, operation = response["service"], response["operation"]
    model = models.setdefault(service, load_model(service))
    root = ET.fromstring(response["xml"])
    output = model["operations"][operation].get("output", {}).get("shape")
    problems = []
    if service == "iam":
        results = [c for c in root if local(c.tag) == f"{operation}Result"]
        body = results[0] if results else ET.Element("none")
    else:
        body = ET.Element("body")
        # <return>true</return> is in AWS's documented responses for these calls but not in the model.
        body.extend(c for c in root if local(c.tag) not in ("requestId", "return"))
    if output:
        walk(model, body, output, operation, problems)
    elif len(body):
        problems.append(f"{operation}: the model has no output, the response has {[local(c.tag) for c in body]}")
    return problems


def main():
    models = {}
    problems = [p for response in json.load(sys.stdin) for p in check(models, response)]
    json.dump(problems, sys.stdout)


main()
