/**
 * Fleet worlds for the fleet tests: `count` backed-up instances like the demo one (ids
 * i-0f1000000000000NN, tag AWSBackup=EC2), some of whose restore jobs fail.
 */
import type { ScenarioInput } from '@local/scenario';
import { demoScenario } from './scenarios';

export function fleetId(i: number): string {
  return `i-0f1${String(i).padStart(14, '0')}`;
}

export function fleetScenario(
  count: number,
  options: { failing?: readonly string[]; restoreJobMinutes?: number } = {},
): Partial<ScenarioInput> {
  const base = demoScenario();
  const source = base.instances?.[0] as NonNullable<ScenarioInput['instances']>[number];
  return {
    instances: Array.from({ length: count }, (_, i) => ({ ...source, id: fleetId(i), name: `app-${i}` })),
    backupPlan: { ...(base.backupPlan as object), days: 2 } as ScenarioInput['backupPlan'],
    faults: {
      ...base.faults,
      restoreJob: { durationMinutes: options.restoreJobMinutes ?? 5 },
      // Every child holds an Elastic IP while it runs (the demo subnet does not auto-assign
      // public IPs): a fleet needs more than AWS's default quota of 5.
      elasticIpQuota: 20,
      restoreJobsBySource: Object.fromEntries(
        (options.failing ?? []).map((id) => [
          id,
          { durationMinutes: 5, outcome: 'FAILED', statusMessage: 'Snapshot unavailable' },
        ]),
      ),
    },
  };
}
