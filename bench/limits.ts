/**
 * Documented request-rate limits the fleet's peak call rates are compared with. Only the Step
 * Functions figures are in the project's AWS reference (aws-facts.md E.1, confirmed there); the
 * others are marked unconfirmed and say where the figure comes from, or that none was checked.
 */

export interface RateLimit {
  /** Sustained rate (token refill per second); null when no figure was checked. */
  readonly perSecond: number | null;
  /** Bucket size: how many calls may arrive at once. */
  readonly burst: number | null;
  readonly confirmed: boolean;
  readonly source: string;
}

const SFN_STATE_TRANSITIONS: RateLimit = {
  perSecond: 5000,
  burst: 5000,
  confirmed: true,
  source:
    'aws-facts.md E.1: StateTransition bucket 5,000/s in us-east-1/us-west-2/eu-west-1 (800/s elsewhere)',
};

const SFN_START_EXECUTION: RateLimit = {
  perSecond: 300,
  burst: 1300,
  confirmed: true,
  source: 'aws-facts.md E.1: StartExecution 1,300 burst / 300 per s in the large Regions',
};

const EC2_NON_MUTATING: RateLimit = {
  perSecond: 20,
  burst: 100,
  confirmed: false,
  source:
    'unconfirmed (not in aws-facts.md): EC2 "Request throttling" doc, non-mutating actions bucket 100, refill 20/s (its DescribeHosts example)',
};

const EC2_MUTATING: RateLimit = {
  perSecond: 5,
  burst: 200,
  confirmed: false,
  source:
    'unconfirmed (not in aws-facts.md): EC2 "Request throttling" doc, mutating actions bucket 200, refill 5/s, from memory; RunInstances/TerminateInstances also have resource buckets',
};

const SSM_GET_PARAMETER: RateLimit = {
  perSecond: 40,
  burst: null,
  confirmed: false,
  source:
    'unconfirmed (not in aws-facts.md): Parameter Store default throughput 40 TPS shared by GetParameter(s)/GetParametersByPath; "higher throughput" raises it',
};

const UNKNOWN = (service: string, where: string): RateLimit => ({
  perSecond: null,
  burst: null,
  confirmed: false,
  source: `not checked: ${service} per-API rates are not in aws-facts.md (${where})`,
});

/** The limit for an API as the request log names it (`ec2:DescribeInstances`). */
export function rateLimitFor(api: string): RateLimit {
  if (api === 'sfn:StateTransition') return SFN_STATE_TRANSITIONS;
  if (api === 'sfn:StartExecution' || api === 'sfn:StartExecution(child)') return SFN_START_EXECUTION;
  const [service, operation = ''] = api.split(':');
  switch (service) {
    case 'ec2':
      return /^Describe/.test(operation) ? EC2_NON_MUTATING : EC2_MUTATING;
    case 'ssm':
      return operation === 'GetParameter' ? SSM_GET_PARAMETER : UNKNOWN('SSM', 'see the SSM quotas page');
    case 'backup':
      return UNKNOWN('AWS Backup', 'the "AWS Backup endpoints and quotas" page lists calls/second per API');
    case 'iam':
      return UNKNOWN('IAM', 'IAM throttles per account; no per-API figure checked');
    default:
      return UNKNOWN(service ?? api, 'no figure');
  }
}

/** How a measured peak compares with a limit. */
export function judgeRate(peakPerSecond: number, limit: RateLimit): 'within' | 'burst only' | 'OVER' | '?' {
  if (limit.perSecond === null) return '?';
  if (peakPerSecond <= limit.perSecond) return 'within';
  if (limit.burst !== null && peakPerSecond <= limit.burst) return 'burst only';
  return 'OVER';
}
