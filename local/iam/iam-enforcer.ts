/**
 * The emulator's IAM: who signed a request (SigV4, by access key), and whether that principal's
 * policies allow every (action, resource) the request needs (./request-authorizations.ts,
 * ./policy-evaluator.ts). Principals are the synthesised stack's roles (each Lambda function,
 * state machine, the API integration and the restore role: ./synthesised-principals.ts), the
 * administrator whose key the tests and the CLI use by default, and any IAM user given a key
 * (the operator and viewer of `ec2-restore local`). A denial is the calling service's own error
 * (EC2 UnauthorizedOperation, IAM AccessDenied, JSON AccessDeniedException) with AWS's message.
 */
import { createHash, randomBytes } from 'node:crypto';
import { type KnownCredentials, verifySigV4 } from '../apigateway/sigv4-verify';
import { AwsError } from '../aws-error';
import type { ServiceName, WireRequest } from '../services/service';
import type { World } from '../world';
import { type Decision, type Evaluation, evaluate, type NamedPolicy } from './policy-evaluator';
import { type Authorization, IAM_PREFIX, requestAuthorizations } from './request-authorizations';
import type { SynthesisedPrincipals } from './synthesised-principals';

/** Who acts: the ARN AWS names in a denial, and the policies that decide. */
export interface Principal {
  /** `arn:aws:sts::<acct>:assumed-role/<role>/<session>` or `arn:aws:iam::<acct>:user/<name>`. */
  readonly arn: string;
  /** The role or user ARN (what SimulatePrincipalPolicy takes). */
  readonly sourceArn: string;
  readonly policies: readonly NamedPolicy[];
}

export interface AccessKey {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/** Everything allowed: the emulator's administrator (AdministratorAccess). */
export const ADMINISTRATOR_ACCESS: NamedPolicy = {
  name: 'arn:aws:iam::aws:policy/AdministratorAccess',
  document: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] },
};

export class IamEnforcer {
  /** Every known key, for the REST API's SigV4 check too (a live list). */
  readonly knownCredentials: KnownCredentials[] = [];
  private readonly principals = new Map<string, Principal>();
  private readonly bySource = new Map<string, Principal>();

  constructor(
    private readonly world: World,
    readonly synthesised: SynthesisedPrincipals | undefined,
    /** Off: every signed or unsigned request is served, as before enforcement existed. */
    readonly enabled: boolean,
  ) {}

  /** Registers a key for a principal. A fixed key (the administrator's) keeps its id and secret. */
  addKey(principal: Principal, key: AccessKey = newKey(principal.arn)): AccessKey {
    this.knownCredentials.push({ ...key, arn: principal.arn });
    this.principals.set(key.accessKeyId, principal);
    this.bySource.set(principal.sourceArn, principal);
    return key;
  }

  /** The principal that assumed `roleArn` with `session`, from the synthesised policies. */
  rolePrincipal(roleArn: string, session: string): Principal {
    const role = this.synthesised?.roles.get(roleArn);
    const name = roleArn.split('/').pop() ?? roleArn;
    return {
      arn: `arn:aws:sts::${this.world.accountId}:assumed-role/${name}/${session}`,
      sourceArn: roleArn,
      policies: role?.policies ?? [],
    };
  }

  /** The principal a role or user ARN stands for (SimulatePrincipalPolicy's PolicySourceArn). */
  principalFor(sourceArn: string): Principal | undefined {
    const known = this.bySource.get(sourceArn);
    if (known) return known;
    if (this.synthesised?.roles.has(sourceArn)) return this.rolePrincipal(sourceArn, 'simulation');
    return undefined;
  }

  /** The request's signer, or the service's authentication error. */
  async authenticate(service: ServiceName, request: WireRequest): Promise<Principal> {
    const verified = await verifySigV4(request, {
      region: this.world.region,
      service: IAM_PREFIX[service],
      credentials: this.knownCredentials,
    });
    if (!verified.ok) throw authenticationError(service, verified.errorType, verified.message);
    return this.principals.get(verified.caller.accessKeyId) as Principal;
  }

  /**
   * Lambda Invoke, served as a path route rather than a front-door service: the signer must be
   * allowed lambda:InvokeFunction on the function (check-ssh invoking an in-VPC probe).
   */
  async authorizeInvoke(request: WireRequest, functionArn: string): Promise<void> {
    if (!this.enabled) return;
    const verified = await verifySigV4(request, {
      region: this.world.region,
      service: 'lambda',
      credentials: this.knownCredentials,
    });
    // Lambda's authentication errors have the JSON services' shape.
    if (!verified.ok) throw authenticationError('sfn', verified.errorType, verified.message);
    const principal = this.principals.get(verified.caller.accessKeyId) as Principal;
    this.check(
      principal,
      [{ action: 'lambda:InvokeFunction', resource: functionArn, context: {} }],
      'lambda',
    );
  }

  /**
   * API Gateway's check of an AWS_IAM method once the signature holds: the signer must be allowed
   * execute-api:Invoke on the method's ARN (`…:<api-id>/<stage>/<METHOD>/<path>`). Undefined when
   * allowed, else the denial's text (IAM's wording; API Gateway's own is unconfirmed).
   */
  apiInvokeDenial(accessKeyId: string, methodArn: string): string | undefined {
    if (!this.enabled) return undefined;
    const principal = this.principals.get(accessKeyId) as Principal;
    const authorization: Authorization = { action: 'execute-api:Invoke', resource: methodArn, context: {} };
    const { decision } = evaluate(principal.policies, authorization);
    return decision === 'allowed' ? undefined : denialMessage(principal, authorization, decision);
  }

  /** The front door's check: authenticate, then authorise every resource the request needs. */
  async authorizeRequest(service: ServiceName, operation: string, request: WireRequest): Promise<void> {
    if (!this.enabled) return;
    const principal = await this.authenticate(service, request);
    await this.authorizeAs(principal, service, operation, request);
  }

  /** A request made by a principal the emulator runs (the API integration's role). */
  async authorizeAs(principal: Principal, service: ServiceName, operation: string, request: WireRequest) {
    if (!this.enabled) return;
    this.check(principal, await requestAuthorizations(this.world, service, operation, request), service);
  }

  /** Throws the first denial, in `service`'s error shape. */
  check(
    principal: Principal,
    authorizations: readonly Authorization[],
    service: ServiceName | 'lambda',
  ): void {
    if (!this.enabled) return;
    for (const authorization of authorizations) {
      const { decision } = evaluate(principal.policies, authorization);
      if (decision !== 'allowed') throw denial(service, principal, authorization, decision);
    }
  }

  /** The decision alone (SimulatePrincipalPolicy, the restore's in-service checks). */
  decide(principal: Principal, authorization: Authorization): Evaluation {
    return evaluate(principal.policies, authorization);
  }
}

/** AWS's denial text (docs/aws-facts.md I.6); calls on `*` leave out the resource. */
export function denialMessage(
  principal: Principal,
  authorization: Authorization,
  decision: Decision,
): string {
  const { action, resource } = authorization;
  const on = resource === '*' ? '' : ` on resource: ${resource}`;
  const why =
    decision === 'explicitDeny'
      ? 'with an explicit deny in an identity-based policy'
      : `because no identity-based policy allows the ${action} action`;
  return `User: ${principal.arn} is not authorized to perform: ${action}${on} ${why}`;
}

function denial(
  service: ServiceName | 'lambda',
  principal: Principal,
  authorization: Authorization,
  decision: Decision,
): AwsError {
  const message = denialMessage(principal, authorization, decision);
  switch (service) {
    case 'ec2':
      return new AwsError(
        'UnauthorizedOperation',
        `You are not authorized to perform this operation. ${message}`,
        403,
      );
    case 'iam':
      return new AwsError('AccessDenied', message, 403);
    case 'ssm':
    case 'sfn':
      // 400 as observed for SSM (docs/aws-facts.md I.6); Step Functions' status is unconfirmed.
      return new AwsError('AccessDeniedException', message, 400);
    default:
      return new AwsError('AccessDeniedException', message, 403);
  }
}

function authenticationError(service: ServiceName, errorType: string, message: string): AwsError {
  const query = service === 'ec2' || service === 'iam';
  switch (errorType) {
    case 'MissingAuthenticationTokenException':
      return query
        ? new AwsError('MissingAuthenticationToken', 'Request is missing Authentication Token', 401)
        : new AwsError('MissingAuthenticationTokenException', message, 400);
    case 'UnrecognizedClientException':
      if (service === 'ec2')
        return new AwsError(
          'AuthFailure',
          'AWS was not able to validate the provided access credentials',
          401,
        );
      if (service === 'iam') return new AwsError('InvalidClientTokenId', message, 403);
      return new AwsError('UnrecognizedClientException', message, 400);
    default:
      return query
        ? new AwsError(
            errorType === 'InvalidSignatureException' ? 'SignatureDoesNotMatch' : 'IncompleteSignature',
            message,
            403,
          )
        : new AwsError(errorType, message, 400);
  }
}

/** An access key id like AWS's temporary ones (ASIA…) and a secret, unique per principal and run. */
function newKey(seed: string): AccessKey {
  const random = randomBytes(16);
  const id = createHash('sha256').update(seed).update(random).digest('hex').slice(0, 16).toUpperCase();
  return { accessKeyId: `ASIA${id}`, secretAccessKey: randomBytes(30).toString('base64') };
}
