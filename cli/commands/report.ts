/** `ec2-restore report EXECUTION --out FILE.html`: the restore's timeline and summary as one offline HTML file. */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { DescribeExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import type { RestoreOutput } from '@shared/workflow-state';
import { consoleUrl } from '../arns';
import type { CliContext } from '../context';
import { failureFacts, latestWorkflowState } from '../execution-facts';
import { ExitCodes } from '../exit-codes';
import { parseJson } from '../json';
import { nextSteps } from '../next-steps';
import { resolveExecution } from '../outcome';
import { readHistory } from '../progress';
import { type ReportData, renderReportHtml } from '../report-html';
import { buildTimeline } from '../timeline';
import { VERSION } from '../version';

export async function runReport(ref: string, options: { out?: string }, ctx: CliContext): Promise<number> {
  const executionArn = resolveExecution(ctx, ref);
  const sfn = ctx.sfn(executionArn);
  const data = await collectReport(sfn, executionArn);
  const path = resolve(options.out ?? `${data.name}.html`);
  writeFileSync(path, renderReportHtml(data));
  if (ctx.json) ctx.emit({ report: path, executionArn, status: data.status });
  else ctx.say(`Wrote the report of ${data.name} (${data.status}) to ${path}`);
  return ExitCodes.Ok;
}

/** Writes the report of an execution to `path` (used by `demo` too). */
export async function writeReport(sfn: SFNClient, executionArn: string, path: string): Promise<string> {
  const absolute = resolve(path);
  writeFileSync(absolute, renderReportHtml(await collectReport(sfn, executionArn)));
  return absolute;
}

export async function collectReport(sfn: SFNClient, executionArn: string): Promise<ReportData> {
  const execution = await sfn.send(new DescribeExecutionCommand({ executionArn }));
  const history = await readHistory(sfn, executionArn);
  const state = latestWorkflowState(history);
  const failure = failureFacts(execution, history);
  const startDate = execution.startDate ?? new Date();
  // A running execution is drawn up to its newest event.
  const endDate = execution.stopDate ?? history.at(-1)?.timestamp ?? startDate;
  const output = execution.status === 'SUCCEEDED' ? parseJson<RestoreOutput>(execution.output) : null;
  const sourceInstanceId =
    state?.selection?.sourceInstanceId ??
    parseJson<{ instanceId?: string }>(execution.input)?.instanceId ??
    null;
  return {
    executionArn,
    name: execution.name ?? executionArn,
    status: execution.status ?? 'UNKNOWN',
    startDate,
    stopDate: execution.stopDate ?? null,
    sourceInstanceId,
    timeline: buildTimeline(state, { startDate, endDate, failedStep: failure?.failedStep ?? null }),
    output,
    failure,
    nextSteps: failure ? nextSteps({ error: failure.error, executionArn, instanceId: sourceInstanceId }) : [],
    consoleUrl: consoleUrl(executionArn),
    generatedAt: new Date(),
    version: VERSION,
  };
}
