/**
 * Every step of the workflow by function id. The emulator dispatches Lambda tasks through this
 * registry in-process; the type makes a missing or misnamed step a compile error.
 */
import type { FleetFunctionId, FunctionId } from '@shared/env';
import type { AnyStep } from '@shared/handler';
import { step as checkSsh } from './check-ssh/handler';
import { step as cleanup } from './cleanup/handler';
import { step as ensurePublicAddress } from './ensure-public-address/handler';
import { step as handleFailure } from './handle-failure/handler';
import { step as planRestore } from './plan-restore/handler';
import { step as pollRestoreJob } from './poll-restore-job/handler';
import { step as reattachInstanceProfile } from './reattach-instance-profile/handler';
import { step as report } from './report/handler';
import { step as resolveFleetTargets } from './resolve-fleet-targets/handler';
import { step as resolveSource } from './resolve-source/handler';
import { step as selectRecoveryPoint } from './select-recovery-point/handler';
import { step as startRestoreJob } from './start-restore-job/handler';
import { step as summariseFleet } from './summarise-fleet/handler';
import { step as tagResources } from './tag-resources/handler';
import { step as validateInput } from './validate-input/handler';
import { step as waitInstance } from './wait-instance/handler';

export const STEPS: { readonly [F in FunctionId]: AnyStep<F> } = {
  'validate-input': validateInput,
  'select-recovery-point': selectRecoveryPoint,
  'resolve-source': resolveSource,
  'plan-restore': planRestore,
  'start-restore-job': startRestoreJob,
  'poll-restore-job': pollRestoreJob,
  'wait-instance': waitInstance,
  'tag-resources': tagResources,
  'reattach-instance-profile': reattachInstanceProfile,
  'ensure-public-address': ensurePublicAddress,
  'check-ssh': checkSsh,
  'handle-failure': handleFailure,
  cleanup,
  report,
};

export const FLEET_STEPS: { readonly [F in FleetFunctionId]: AnyStep<F> } = {
  'resolve-fleet-targets': resolveFleetTargets,
  'summarise-fleet': summariseFleet,
};
