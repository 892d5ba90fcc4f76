/**
 * `ec2-restore report EXECUTION --out FILE.html`: the restore's timeline and summary as one offline
 * HTML file; for a fleet execution, one bar per instance on the fleet's time axis and the counts.
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import type { CliContext } from '../context';
import { ExitCodes } from '../exit-codes';
import { isFleetExecution } from '../fleet-progress';
import { renderFleetReportHtml } from '../fleet-report-html';
import { resolveExecution } from '../outcome';
import { collectFleetReport, collectReport } from '../report-data';
import { renderReportHtml } from '../report-html';

export async function runReport(ref: string, options: { out?: string }, ctx: CliContext): Promise<number> {
  const executionArn = await resolveExecution(ctx, ref);
  const sfn = ctx.sfn(executionArn);
  const execution = await sfn.send(new DescribeExecutionCommand({ executionArn }));
  const fleet = isFleetExecution(execution, ctx.io.env.EC2_RESTORE_FLEET_STATE_MACHINE_ARN);
  const data = fleet ? await collectFleetReport(sfn, executionArn) : await collectReport(sfn, executionArn);
  const path = resolve(options.out ?? `${data.name}.html`);
  writeFileSync(path, 'members' in data ? renderFleetReportHtml(data) : renderReportHtml(data));
  if (ctx.json) ctx.emit({ report: path, executionArn, status: data.status });
  else ctx.say(`Wrote the report of ${data.name} (${data.status}) to ${path}`);
  return ExitCodes.Ok;
}
