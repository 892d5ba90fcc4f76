/** `ec2-restore status EXECUTION`: where an execution is or how it ended; exit 1 when it failed. */
import { DescribeExecutionCommand, type DescribeExecutionOutput } from '@aws-sdk/client-sfn';
import { consoleUrl } from '../arns';
import type { CliContext } from '../context';
import { ExitCodes } from '../exit-codes';
import { fleetStatus } from '../fleet-outcome';
import { isFleetExecution } from '../fleet-progress';
import { duration, secondsBetween, utc } from '../format';
import { printOutcome, readOutcome, resolveExecution, statusDocument } from '../outcome';
import { modeOfName, printApiStatus, readViaApi } from '../rest-api';

export interface StatusOptions {
  /** Read through the REST API at this stage URL (GET /restores/{mode}/{name}, contract §6). */
  readonly viaApi?: string;
  /** The API path's mode, when the name does not start with api-test- or api-recovery-. */
  readonly mode?: string;
}

export async function runStatus(ref: string, ctx: CliContext, options: StatusOptions = {}): Promise<number> {
  if (options.viaApi !== undefined) {
    const name = ref.split(':').pop() ?? ref;
    return printApiStatus(ctx, await readViaApi(ctx, options.viaApi, modeOfName(name, options.mode), name));
  }
  const executionArn = await resolveExecution(ctx, ref);
  const sfn = ctx.sfn(executionArn);
  const execution = await sfn.send(new DescribeExecutionCommand({ executionArn }));
  if (isFleetExecution(execution, ctx.io.env.EC2_RESTORE_FLEET_STATE_MACHINE_ARN)) {
    if (!ctx.json) sayHeader(ctx, execution, executionArn);
    return fleetStatus(ctx, sfn, { ...execution, executionArn });
  }
  const outcome = await readOutcome(sfn, executionArn);
  if (ctx.json) {
    ctx.emit(statusDocument(outcome));
    return outcome.failure ? ExitCodes.RestoreFailed : ExitCodes.Ok;
  }
  sayHeader(ctx, outcome.execution, executionArn);
  return printOutcome(ctx, outcome);
}

function sayHeader(ctx: CliContext, e: DescribeExecutionOutput, executionArn: string): void {
  ctx.say(`execution  ${executionArn}`);
  ctx.say(`status     ${e.status}`);
  ctx.say(`started    ${utc(e.startDate?.toISOString())}`);
  if (e.stopDate)
    ctx.say(
      `stopped    ${utc(e.stopDate.toISOString())} (${duration(secondsBetween(e.startDate, e.stopDate))})`,
    );
  ctx.say(`console    ${consoleUrl(executionArn) ?? '—'}`);
}
