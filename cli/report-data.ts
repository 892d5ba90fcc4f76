/**
 * What an HTML report shows, read from an execution and its history: one restore's timeline,
 * RPO, RTO and summary, or a fleet's one bar per instance on the fleet's time axis. `report`
 * writes either; `demo` writes the report of the restore it ran.
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { DescribeExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import type { FleetOutput } from '@shared/fleet-state';
import type { RestoreOutput } from '@shared/workflow-state';
import { consoleUrl } from './arns';
import { failureFacts, latestWorkflowState, sourceInstanceIdOf, stepSpans } from './execution-facts';
import { FleetTracker, fleetMembers } from './fleet-progress';
import type { FleetReportData } from './fleet-report-html';
import { parseJson } from './json';
import { nextSteps } from './next-steps';
import { readHistory } from './progress';
import { type ReportData, renderReportHtml } from './report-html';
import { buildTimeline } from './timeline';
import { VERSION } from './version';

/** Writes the report of one restore execution to `path`; resolves to the absolute path. */
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
  const sourceInstanceId = sourceInstanceIdOf(execution, history);
  return {
    executionArn,
    name: execution.name ?? executionArn,
    status: execution.status ?? 'UNKNOWN',
    startDate,
    stopDate: execution.stopDate ?? null,
    sourceInstanceId,
    timeline: buildTimeline(state, {
      startDate,
      endDate,
      failedStep: failure?.failedStep ?? null,
      steps: stepSpans(history),
    }),
    output,
    failure,
    nextSteps: failure ? nextSteps({ error: failure.error, executionArn, instanceId: sourceInstanceId }) : [],
    consoleUrl: consoleUrl(executionArn),
    generatedAt: new Date(),
    version: VERSION,
  };
}

/** One bar per instance: each child execution's start and end on the fleet's time axis. */
export async function collectFleetReport(sfn: SFNClient, executionArn: string): Promise<FleetReportData> {
  const execution = await sfn.send(new DescribeExecutionCommand({ executionArn }));
  const history = await readHistory(sfn, executionArn);
  const startDate = execution.startDate ?? new Date();
  const endDate = execution.stopDate ?? history.at(-1)?.timestamp ?? startDate;
  const at = (date: Date | undefined, otherwise: Date) =>
    ((date ?? otherwise).getTime() - startDate.getTime()) / 1000;
  const members = fleetMembers(execution, FleetTracker.of(history));
  const children = await inBatches(members, 10, (m) =>
    m.executionArn ? sfn.send(new DescribeExecutionCommand({ executionArn: m.executionArn })) : null,
  );
  const output = parseJson<FleetOutput>(execution.output);
  return {
    executionArn,
    name: execution.name ?? executionArn,
    status: execution.status ?? 'UNKNOWN',
    startDate,
    stopDate: execution.stopDate ?? null,
    totalSeconds: at(endDate, endDate),
    error: execution.status === 'SUCCEEDED' ? null : (execution.error ?? null),
    cause: execution.status === 'SUCCEEDED' ? null : (execution.cause ?? null),
    note: output?.note ?? null,
    members: members.map((m, i) => {
      const child = children[i];
      return {
        ...m,
        outcome: m.status === 'FAILED' ? 'failed' : m.status === 'RUNNING' ? 'running' : 'succeeded',
        startSeconds: child ? at(child.startDate, endDate) : 0,
        endSeconds: child ? at(child.stopDate, endDate) : 0,
      };
    }),
    consoleUrl: consoleUrl(executionArn),
    generatedAt: new Date(),
    version: VERSION,
  };
}

/** `work` over every item, `size` at a time, results in order. */
async function inBatches<T, R>(
  items: readonly T[],
  size: number,
  work: (item: T) => Promise<R> | R,
): Promise<R[]> {
  const results: R[] = [];
  for (let i = 0; i < items.length; i += size) {
    results.push(...(await Promise.all(items.slice(i, i + size).map(work))));
  }
  return results;
}
