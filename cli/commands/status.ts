/** `ec2-restore status EXECUTION`: where an execution is or how it ended; exit 1 when it failed. */
import { consoleUrl } from '../arns';
import type { CliContext } from '../context';
import { ExitCodes } from '../exit-codes';
import { duration, secondsBetween, utc } from '../format';
import { printOutcome, readOutcome, resolveExecution, statusDocument } from '../outcome';

export async function runStatus(ref: string, ctx: CliContext): Promise<number> {
  const executionArn = await resolveExecution(ctx, ref);
  const outcome = await readOutcome(ctx.sfn(executionArn), executionArn);
  const e = outcome.execution;
  if (ctx.json) {
    ctx.emit(statusDocument(outcome));
    return outcome.failure ? ExitCodes.RestoreFailed : ExitCodes.Ok;
  }
  ctx.say(`execution  ${executionArn}`);
  ctx.say(`status     ${e.status}`);
  ctx.say(`started    ${utc(e.startDate?.toISOString())}`);
  if (e.stopDate)
    ctx.say(
      `stopped    ${utc(e.stopDate.toISOString())} (${duration(secondsBetween(e.startDate, e.stopDate))})`,
    );
  ctx.say(`console    ${consoleUrl(executionArn) ?? '—'}`);
  return printOutcome(ctx, outcome);
}
