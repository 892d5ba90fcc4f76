/**
 * The committed, rendered ASL of both workflows, for a given Region and account, without loading
 * CDK: the emulator deploys these at every start, and rendering the constructs costs it more than
 * half a second of aws-cdk-lib. The committed files are what `render.ts` produces with the default
 * Region and account (a test fails when they are stale, and another checks this rewriting against
 * a fresh render for another Region and account).
 */
import type { AnyFunctionId } from '@shared/env';
import restoreFleet from './restore-fleet/restore-fleet.asl.json';
import restoreInstance from './restore-instance/restore-instance.asl.json';

export interface RenderOptions {
  readonly region?: string;
  readonly accountId?: string;
  /** Function name prefix of the fake Lambda ARNs. */
  readonly functionPrefix?: string;
}

export type Asl = {
  StartAt: string;
  States: Record<string, Record<string, unknown>>;
  TimeoutSeconds?: number;
  Comment?: string;
};

/** The Region and account the committed files are rendered with. */
export const RENDER_DEFAULTS = { region: 'us-east-1', accountId: '000000000000' } as const;

/** The ARN the rendered ASL uses for a step Lambda. */
export function functionArn(id: AnyFunctionId, options: RenderOptions = {}): string {
  const { region = RENDER_DEFAULTS.region, accountId = RENDER_DEFAULTS.accountId } = options;
  const { functionPrefix = 'ec2-restore-' } = options;
  return `arn:aws:lambda:${region}:${accountId}:function:${functionPrefix}${id}`;
}

/** The ARN the rendered fleet ASL starts its children with. */
export function restoreInstanceArn(options: RenderOptions = {}): string {
  const { region = RENDER_DEFAULTS.region, accountId = RENDER_DEFAULTS.accountId } = options;
  return `arn:aws:states:${region}:${accountId}:stateMachine:restore-instance`;
}

export function committedRestoreInstanceAsl(options: RenderOptions = {}): Asl {
  return withRegionAndAccount(restoreInstance, options);
}

export function committedRestoreFleetAsl(options: RenderOptions = {}): Asl {
  return withRegionAndAccount(restoreFleet, options);
}

/** Only the Lambda and state machine ARNs carry the Region and account in the rendered ASL. */
function withRegionAndAccount(asl: unknown, options: RenderOptions): Asl {
  const { region = RENDER_DEFAULTS.region, accountId = RENDER_DEFAULTS.accountId } = options;
  const from = `:${RENDER_DEFAULTS.region}:${RENDER_DEFAULTS.accountId}:`;
  const text = JSON.stringify(asl)
    .replaceAll(`arn:aws:lambda${from}`, `arn:aws:lambda:${region}:${accountId}:`)
    .replaceAll(`arn:aws:states${from}`, `arn:aws:states:${region}:${accountId}:`);
  return JSON.parse(text) as Asl;
}
