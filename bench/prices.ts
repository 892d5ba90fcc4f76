/**
 * List prices the cost figures use (us-east-1). The values are the ones recorded in the project's
 * AWS reference (docs/aws-facts.md §G), which cites the AWS pricing pages below;
 * check those pages before quoting a figure.
 */

export interface Price {
  readonly usd: number;
  readonly unit: string;
  readonly source: string;
}

export const SFN_STANDARD_PER_TRANSITION: Price = {
  usd: 0.025 / 1000,
  unit: 'state transition',
  source:
    'aws.amazon.com/step-functions/pricing: Standard, $0.025 per 1,000 state transitions (aws-facts.md G)',
};

export const LAMBDA_ARM64_PER_GB_SECOND: Price = {
  usd: 0.0000133334,
  unit: 'GB-second (arm64, billed per 1 ms)',
  source: 'aws.amazon.com/lambda/pricing: arm64 $0.0000133334 per GB-second (aws-facts.md G)',
};

export const LAMBDA_PER_REQUEST: Price = {
  usd: 0.2 / 1_000_000,
  unit: 'request',
  source: 'aws.amazon.com/lambda/pricing: $0.20 per 1M requests (aws-facts.md G)',
};

export const PUBLIC_IPV4_PER_HOUR: Price = {
  usd: 0.005,
  unit: 'public IPv4 address-hour',
  source:
    'AWS blog "Identify and optimize public IPv4 address usage on AWS": $0.005 per hour since 2024-02-01 (aws-facts.md G)',
};

/** The step Lambdas' memory: infra/constructs/step-function.ts, `memorySize` default 256 MB. */
export const LAMBDA_MEMORY_GB = 256 / 1024;

export const ALL_PRICES = {
  sfnStandardPerTransition: SFN_STANDARD_PER_TRANSITION,
  lambdaArm64PerGbSecond: LAMBDA_ARM64_PER_GB_SECOND,
  lambdaPerRequest: LAMBDA_PER_REQUEST,
  publicIpv4PerHour: PUBLIC_IPV4_PER_HOUR,
} as const;

export interface RestoreCost {
  readonly sfnUsd: number;
  readonly lambdaRequestsUsd: number;
  readonly lambdaDurationUsd: number;
  /** Step Functions + Lambda: what the ≤ $0.001 target covers. */
  readonly workflowUsd: number;
  /** The test-mode Elastic IP, prorated per second (AWS's per-second proration is not confirmed). */
  readonly publicIpv4Usd: number;
}

export function restoreCost(usage: {
  readonly transitions: number;
  readonly lambdaInvocations: number;
  readonly lambdaBilledMs: number;
  readonly publicIpv4Seconds: number;
}): RestoreCost {
  const sfnUsd = usage.transitions * SFN_STANDARD_PER_TRANSITION.usd;
  const lambdaRequestsUsd = usage.lambdaInvocations * LAMBDA_PER_REQUEST.usd;
  const lambdaDurationUsd = (usage.lambdaBilledMs / 1000) * LAMBDA_MEMORY_GB * LAMBDA_ARM64_PER_GB_SECOND.usd;
  return {
    sfnUsd,
    lambdaRequestsUsd,
    lambdaDurationUsd,
    workflowUsd: sfnUsd + lambdaRequestsUsd + lambdaDurationUsd,
    publicIpv4Usd: (usage.publicIpv4Seconds / 3600) * PUBLIC_IPV4_PER_HOUR.usd,
  };
}
