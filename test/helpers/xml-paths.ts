/**
 * The structure of an XML document as a set of element paths
 * (`DescribeInstancesResponse/reservationSet/item/instancesSet/item/instanceId`), ignoring values,
 * attributes and list positions. Enough to compare two services' response shapes field by field.
 */
const TOKEN =
  /<\?[\s\S]*?\?>|<!--[\s\S]*?-->|<!\[CDATA\[[\s\S]*?\]\]>|<(\/?)([A-Za-z_][\w.:-]*)((?:\s+[^\s=>/]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>/g;

export function xmlPaths(xml: string): Set<string> {
  const paths = new Set<string>();
  const stack: string[] = [];
  for (const match of xml.matchAll(TOKEN)) {
    const [, closing, name, , selfClosing] = match;
    if (name === undefined) continue;
    if (closing) {
      const open = stack.pop();
      if (open !== name) throw new Error(`malformed XML: </${name}> closes <${open ?? '(nothing)'}>`);
      continue;
    }
    stack.push(name);
    paths.add(stack.join('/'));
    if (selfClosing) stack.pop();
  }
  if (stack.length > 0) throw new Error(`malformed XML: <${stack.join('/')}> is never closed`);
  return paths;
}

/** The text of the first element with this name, or undefined. */
export function xmlText(xml: string, name: string): string | undefined {
  return new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1];
}
