/**
 * `ec2-restore watch EXECUTION`: live progress until the execution ends, then how it ended (a
 * fleet execution as a fleet). Ctrl-C stops watching, never the restore, and says how to pick it
 * up again.
 */
import type { CliContext } from '../context';
import { type WatchOptions, watchExecution } from '../follow';
import { resolveExecution } from '../outcome';

export async function runWatch(ref: string, options: WatchOptions, ctx: CliContext): Promise<number> {
  const executionArn = await resolveExecution(ctx, ref);
  return watchExecution(ctx, ctx.sfn(executionArn), executionArn, options);
}
