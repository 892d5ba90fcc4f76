/**
 * `ec2-restore demo` (and `npm start`): the product's main job, offline. Starts the emulator with
 * a scenario, runs restore-instance for the scenario's instance and shows each step as it
 * happens (simulated time), then the summary and the path of the HTML report.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeExecutionCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { type Emulator, FAKE_CREDENTIALS, startEmulator } from '@local/emulator';
import { parseRestoreRequest } from '@shared/restore-request';
import type { RestoreOutput } from '@shared/workflow-state';
import type { CliContext } from '../context';
import { ExitCodes } from '../exit-codes';
import { clockOffset } from '../format';
import { followExecution } from '../progress';
import { writeReport } from '../report-data';
import { validateFlags } from '../restore-flags';
import { renderSummary } from '../summary';

export interface DemoOptions {
  readonly scenario?: string;
  readonly instanceId?: string;
  readonly input?: Record<string, unknown>;
  /** Where to write the HTML report (default: a new temporary directory). */
  readonly report?: string;
  /** The simulated clock's mode; default the scenario's `clock.mode`, else event (idle time skipped). */
  readonly clock?: 'event' | 'fixed';
}

export async function runDemo(options: DemoOptions, ctx: CliContext): Promise<number> {
  const started = Date.now();
  const emulator = await startEmulator({
    scenario: options.scenario,
    clockMode: options.clock,
    onError: (message) => ctx.say(`  emulator error: ${message}`),
  });
  try {
    return await restoreOnce(emulator, options, ctx, started);
  } finally {
    await emulator.stop();
  }
}

async function restoreOnce(
  emulator: Emulator,
  options: DemoOptions,
  ctx: CliContext,
  started: number,
): Promise<number> {
  // Progress and the summary go where a person reads them (stderr under --json).
  const out = (line: string) => ctx.say(line);
  const sfn = new SFNClient({
    endpoint: emulator.endpoint,
    region: emulator.region,
    credentials: FAKE_CREDENTIALS,
  });
  try {
    const instanceId = options.instanceId ?? defaultInstance(emulator);
    // The emulated sshd listens on the scenario's port (2222 in the demo, so no root is needed).
    const sshPort = emulator.world.scenario.sshPort;
    const input = { instanceId, ...(sshPort !== 22 && { ssh: { port: sshPort } }), ...options.input };
    // A bad --instance-id is a usage error (exit 2), not a restore that failed.
    validateFlags(parseRestoreRequest, input, 'demo');
    out(
      `ec2-restore demo: scenario "${emulator.world.scenario.name}", simulated clock ${emulator.clock.mode === 'event' ? 'event (idle time skipped)' : `x${emulator.clock.speed}`}`,
    );
    out(`  emulator       ${emulator.endpoint}`);
    out(`  state machine  ${emulator.stateMachineArns.restoreInstance}`);
    out(`  restoring      ${instanceId}  input ${JSON.stringify(input)}`);
    out('');
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({
        stateMachineArn: emulator.stateMachineArns.restoreInstance,
        name: `demo-${instanceId}-${Date.now()}`,
        input: JSON.stringify(input),
      }),
    );
    if (!executionArn) throw new Error('StartExecution returned no execution ARN');
    const t0 = emulator.clock.nowMs();
    for await (const line of followExecution(sfn, executionArn, { pollMs: 50 })) {
      const when = clockOffset(t0, line.at.getTime());
      if (line.kind === 'step' || line.kind === 'retry')
        out(`  [${when}] ${line.state.padEnd(24)} ${line.text}`);
      else if (line.kind === 'failure') out(`  [${when}] FAILED ${line.text}`);
    }
    const execution = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    const wall = ((Date.now() - started) / 1000).toFixed(1);
    const report = await writeReport(
      sfn,
      executionArn,
      options.report ?? join(mkdtempSync(join(tmpdir(), 'ec2-restore-demo-')), 'report.html'),
    );
    if (execution.status !== 'SUCCEEDED') {
      // The progress lines name the error; its cause is printed here, once.
      out('');
      out(`Restore ${execution.status}: ${execution.error ?? ''}`);
      out(`  ${execution.cause ?? ''}`);
      out(`  (${wall} s wall time)`);
      out(`Report: ${report}`);
      if (ctx.json) ctx.emit({ status: execution.status, error: execution.error, cause: execution.cause });
      return ExitCodes.RestoreFailed;
    }
    const output = JSON.parse(execution.output ?? '{}') as RestoreOutput;
    if (ctx.json) {
      ctx.emit(output);
    } else {
      out('');
      out('Summary');
      out(renderSummary(output));
      out('');
      out(`Done in ${wall} s wall time (simulated ${Math.round((emulator.clock.nowMs() - t0) / 1000)} s).`);
    }
    out(`Report: ${report}`);
    return ExitCodes.Ok;
  } finally {
    sfn.destroy();
  }
}

/** The scenario's first live instance that has recovery points. */
function defaultInstance(emulator: Emulator): string {
  const backedUp = new Set([...emulator.world.recoveryPoints.values()].map((p) => p.instanceId));
  const candidate =
    [...emulator.world.instances.values()].find((i) => backedUp.has(i.id)) ??
    [...backedUp].map((id) => ({ id }))[0];
  if (!candidate)
    throw new Error(
      'The scenario has no recovery points, so there is nothing to restore; pass --instance-id.',
    );
  return candidate.id;
}
