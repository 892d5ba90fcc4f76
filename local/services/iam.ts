/**
 * IAM's Query protocol (API version 2010-05-08) over the world, for the read calls the workflow
 * makes and SimulatePrincipalPolicy (the PassRole pre-flight): PascalCase elements, `<member>` lists, `<{Action}Result>` plus `<ResponseMetadata>`,
 * and errors in IAM's `<ErrorResponse>` envelope (NoSuchEntity is a 404).
 */
import { AwsError } from '../aws-error';
import type { InstanceProfile, Role, World } from '../world';
import type { ParsedOperation, ServiceAdapter, WireRequest, WireResponse } from './service';
import {
  document,
  list,
  node,
  queryErrorResponse,
  queryParameters,
  text,
  type XmlChild,
  type XmlScalar,
} from './xml';

const XMLNS = 'https://iam.amazonaws.com/doc/2010-05-08/';
const XML_HEADERS = { 'content-type': 'text/xml' } as const;
const VERSION = '2010-05-08';

type Handler = (params: URLSearchParams) => XmlChild[];

export class IamAdapter implements ServiceAdapter {
  readonly service = 'iam' as const;
  private readonly operations: Readonly<Record<string, Handler>>;

  constructor(private readonly world: World) {
    this.operations = {
      GetInstanceProfile: (p) => [
        node(
          'InstanceProfile',
          ...this.profileXml(this.world.iam.getInstanceProfile(required(p, 'InstanceProfileName'))),
        ),
      ],
      GetRole: (p) => [node('Role', ...this.roleXml(this.world.iam.getRole(required(p, 'RoleName')), true))],
      ListInstanceProfiles: (p) => this.listInstanceProfiles(p),
      SimulatePrincipalPolicy: (p) => this.simulatePrincipalPolicy(p),
    };
  }

  parse(request: WireRequest): ParsedOperation {
    const params = queryParameters(request);
    const action = params.get('Action');
    if (!action) throw new AwsError('MissingAction', 'Missing Action');
    const handler = Object.hasOwn(this.operations, action) ? this.operations[action] : undefined;
    if (!handler) {
      throw new AwsError('InvalidAction', `Could not find operation ${action} for version ${VERSION}`);
    }
    return {
      operation: action,
      invoke: () => {
        const body = document(
          `${action}Response`,
          XMLNS,
          [
            node(`${action}Result`, ...handler(params)),
            node('ResponseMetadata', text('RequestId', request.requestId)),
          ],
          false,
        );
        return { status: 200, headers: { ...XML_HEADERS, 'x-amzn-requestid': request.requestId }, body };
      },
    };
  }

  errorResponse(error: AwsError, request: WireRequest): WireResponse {
    return queryErrorResponse(error, request, XMLNS);
  }

  /**
   * The emulator's own evaluator (local/iam/) over the principal's policies, one result per action
   * and resource (docs/aws-facts.md I.6). Without enforcement only iam:PassRole is judged, on the
   * scenario's passRoles; everything else is allowed, as every request then is.
   */
  private simulatePrincipalPolicy(p: URLSearchParams): XmlChild[] {
    const source = required(p, 'PolicySourceArn');
    const actions = members(p, 'ActionNames');
    if (actions.length === 0) required(p, 'ActionNames.member.1');
    const resources = members(p, 'ResourceArns');
    const context: Record<string, string[]> = {};
    for (let n = 1; p.has(`ContextEntries.member.${n}.ContextKeyName`); n++) {
      const key = p.get(`ContextEntries.member.${n}.ContextKeyName`) as string;
      context[key] = members(p, `ContextEntries.member.${n}.ContextKeyValues`);
    }
    const { iam } = this.world;
    const known = iam.roleByArn(source) !== undefined || /^arn:aws:iam::\d{12}:(user|role)\//.test(source);
    const results = actions.flatMap((action) =>
      (resources.length > 0 ? resources : ['*']).map((resource) => {
        const authorization = { action, resource, context };
        const simulated = iam.authorizer?.simulate(source, authorization);
        if (iam.authorizer !== undefined && simulated === undefined)
          throw new AwsError('NoSuchEntity', `Could not find entity for ${source}`, 404);
        if (!known) throw new AwsError('NoSuchEntity', `Could not find entity for ${source}`, 404);
        const decision =
          simulated?.decision ??
          (iam.allows(source, 'simulation', authorization) ? 'allowed' : 'implicitDeny');
        return [
          text('EvalActionName', action),
          text('EvalResourceName', resource),
          text('EvalDecision', decision),
          list('MatchedStatements', simulated?.matched ?? [], (id) => [text('SourcePolicyId', id)], 'member'),
          list('MissingContextValues', [], () => [], 'member'),
        ];
      }),
    );
    return [list('EvaluationResults', results, (r) => r, 'member'), text('IsTruncated', false)];
  }

  private listInstanceProfiles(p: URLSearchParams): XmlChild[] {
    const pathPrefix = p.get('PathPrefix') ?? '/';
    const maxItems = integer(p, 'MaxItems', 1, 1000) ?? 100;
    const marker = p.get('Marker');
    const all = [...this.world.iam.instanceProfiles.values()].filter((profile) =>
      profile.path.startsWith(pathPrefix),
    );
    let start = 0;
    if (marker !== null) {
      start = all.findIndex((profile) => profile.name === Buffer.from(marker, 'base64url').toString('utf8'));
      if (start < 0) throw new AwsError('ValidationError', 'Invalid Marker.');
    }
    const page = all.slice(start, start + maxItems);
    const next = all[start + maxItems];
    return [
      list('InstanceProfiles', page, (profile) => this.profileXml(profile), 'member'),
      text('IsTruncated', next !== undefined),
      next && text('Marker', Buffer.from(next.name).toString('base64url')),
    ];
  }

  private profileXml(profile: InstanceProfile): XmlChild[] {
    const role = this.world.iam.roles.get(profile.roleName);
    return [
      text('Path', profile.path),
      text('InstanceProfileName', profile.name),
      text('InstanceProfileId', profile.id),
      text('Arn', profile.arn),
      text('CreateDate', iamDate(profile.createDate)),
      list('Roles', role ? [role] : [], (r) => this.roleXml(r, false), 'member'),
    ];
  }

  /** GetRole reports a few fields that the role summaries inside an instance profile leave out. */
  private roleXml(role: Role, full: boolean): XmlChild[] {
    // The workflow's restore role is assumed by AWS Backup; every other role is an instance role.
    const principal = role.arn === this.world.restoreRoleArn ? 'backup.amazonaws.com' : 'ec2.amazonaws.com';
    const trust = {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { Service: principal }, Action: 'sts:AssumeRole' }],
    };
    return [
      text('Path', role.path),
      text('RoleName', role.name),
      text('RoleId', role.id),
      text('Arn', role.arn),
      text('CreateDate', iamDate(role.createDate)),
      // IAM returns policy documents URL-encoded (RFC 3986).
      text('AssumeRolePolicyDocument', encodeURIComponent(JSON.stringify(trust))),
      full && text('MaxSessionDuration', 3600),
      full && node('RoleLastUsed'),
    ];
  }
}

/** `Name.member.1`, `Name.member.2`, … */
function members(p: URLSearchParams, name: string): string[] {
  const values: string[] = [];
  for (let n = 1; p.has(`${name}.member.${n}`); n++) values.push(p.get(`${name}.member.${n}`) as string);
  return values;
}

function required(p: URLSearchParams, name: string): string {
  const value = p.get(name);
  if (value === null || value === '') {
    const member = `${name[0]?.toLowerCase() ?? ''}${name.slice(1)}`;
    throw new AwsError(
      'ValidationError',
      `1 validation error detected: Value null at '${member}' failed to satisfy constraint: Member must not be null`,
    );
  }
  return value;
}

function integer(p: URLSearchParams, name: string, min: number, max: number): number | undefined {
  const value = p.get(name);
  if (value === null) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new AwsError(
      'ValidationError',
      `1 validation error detected: Value '${value}' at '${name[0]?.toLowerCase() ?? ''}${name.slice(1)}' failed to satisfy constraint: Member must have value between ${min} and ${max}`,
    );
  }
  return n;
}

/** IAM writes timestamps without milliseconds (`2013-06-12T23:52:02Z`). */
function iamDate(date: Date): XmlScalar {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
