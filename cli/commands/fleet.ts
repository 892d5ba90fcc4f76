/**
 * `ec2-restore fleet`: restore many instances through the restore-fleet workflow (docs/contract.md §3).
 * Like `start`: the flags build the request (the per-instance ones become its `defaults`), the
 * workflow's own schema validates it (a bad flag is named and exits 2 before anything starts),
 * the execution gets a readable name, and `--wait` follows it: "n of N done, k failed so far",
 * then one row per instance. Exit 1 when any instance failed.
 */
import { type FleetRequest, parseFleetRequest } from '@shared/fleet-request';
import type { CliContext } from '../context';
import { usageError } from '../errors';
import { watchFleet } from '../follow';
import { executionStamp, executionVerb, launch } from '../launch';
import { buildRestoreInput, defined, FLAG_FOR_FIELD, type StartFlags, validateFlags } from '../restore-flags';

export interface FleetFlags extends Omit<StartFlags, 'instanceId' | 'recoveryPoint'> {
  readonly instanceIds?: string;
  readonly tag?: string;
  readonly maxConcurrency?: number;
}

/** Fleet request fields → flags; every per-instance default is the flag `start` has for it. */
const FLEET_FLAG_FOR_FIELD: Readonly<Record<string, string>> = {
  instanceIds: '--instance-ids',
  tag: '--tag',
  backupVaultName: '--vault',
  maxConcurrency: '--max-concurrency',
  ...Object.fromEntries(Object.entries(FLAG_FOR_FIELD).map(([field, flag]) => [`defaults.${field}`, flag])),
};

export async function runFleet(flags: FleetFlags, ctx: CliContext): Promise<number> {
  const input = buildFleetInput(flags);
  const request = validateFlags(parseFleetRequest, input, 'fleet', FLEET_FLAG_FOR_FIELD);
  const name = flags.name ?? defaultFleetName(request, new Date());
  return launch(
    ctx,
    'restoreFleet',
    input,
    { ...flags, name, explicitName: flags.name !== undefined },
    watchFleet,
  );
}

/** The fleet request, holding only what the flags set: the workflow fills in its own defaults. */
export function buildFleetInput(flags: FleetFlags): Record<string, unknown> {
  if ((flags.instanceIds === undefined) === (flags.tag === undefined)) {
    throw usageError(
      'Give exactly one of --instance-ids or --tag.',
      'For example --tag AWSBackup=EC2, or --instance-ids i-0123456789abcdef0,i-0123456789abcdef1.',
    );
  }
  const { vault, ...perInstance } = flags;
  const defaults = buildRestoreInput(perInstance);
  return defined({
    instanceIds: flags.instanceIds?.split(',').map((id) => id.trim()),
    tag: flags.tag === undefined ? undefined : parseTag(flags.tag),
    backupVaultName: vault,
    maxConcurrency: flags.maxConcurrency,
    defaults: Object.keys(defaults).length > 0 ? defaults : undefined,
  });
}

/** `KEY=VALUE` (the value may be empty, and may hold `=`). */
function parseTag(text: string): { key: string; value: string } {
  const at = text.indexOf('=');
  if (at <= 0) {
    throw usageError(`--tag: "${text}" is not KEY=VALUE.`, 'For example --tag AWSBackup=EC2.');
  }
  return { key: text.slice(0, at), value: text.slice(at + 1) };
}

/** `restore-fleet-AWSBackup-EC2-20261120T101500Z`, `test-fleet-3-instances-…`, `plan-fleet-i-0123…-…`. */
export function defaultFleetName(request: FleetRequest, now: Date): string {
  const ids = request.instanceIds ?? [];
  const target = request.tag
    ? `${request.tag.key}-${request.tag.value}`
    : ids.length === 1
      ? (ids[0] ?? '')
      : `${ids.length}-instances`;
  const safe = target
    .replace(/[^A-Za-z0-9_-]+/g, '-')
    .slice(0, 40)
    .replace(/^-+|-+$/g, '');
  return `${executionVerb(request.defaults)}-fleet-${safe || 'tag'}-${executionStamp(now)}`;
}
