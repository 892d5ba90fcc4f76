/**
 * What every fault-matrix cell must show, whatever its faults:
 * - test mode: once the janitor has run (the world ran on for hours after the end), 0 instances
 *   and 0 Elastic IPs of the execution remain;
 * - recovery mode: nothing was terminated, and every restored instance left behind by an execution
 *   that did not succeed carries the failed-step tag (the workflow's) or the outcome tag (the
 *   janitor's, where the workflow could not tag);
 * - the execution's error is one of the contract's names, `States.Timeout` for a timeout, or it was
 *   aborted;
 * - no private key material in any history event, Lambda log line or the output (the PEM text, each
 *   line of its base64 body, the body as one string, and the PEM base64-encoded);
 * - every pair the cell was chosen to cover was seen acting (else the cover lies).
 */
import { CONTRACT_ERROR_NAMES } from '@shared/errors';
import { TagKeys } from '@shared/tags';
import type { CellRun } from './fault-matrix-runner';

export interface Verdict {
  readonly run: CellRun;
  /** Test mode: what is left of the execution. */
  readonly leaks: readonly string[];
  /** The execution's error when it is not one the contract names. */
  readonly unnamedError: string | null;
  /** Recovery mode: instances terminated, and instances left without the failed-step tag. */
  readonly recoveryProblems: readonly string[];
  readonly keyLeaks: readonly string[];
  /** Pairs the cell should have exercised but did not. */
  readonly misses: readonly string[];
  /** The emulator's own errors (it could not serve something): the cell proves nothing then. */
  readonly emulatorErrors: readonly string[];
}

export function judge(run: CellRun): Verdict {
  const { cell, leftovers } = run;
  const leaks =
    cell.mode === 'test'
      ? [
          ...leftovers.instances.map((i) => `instance ${i.id} (${i.state})`),
          ...leftovers.addresses.map((a) => `Elastic IP ${a.allocationId} ${a.publicIp}`),
        ]
      : [];
  const recoveryProblems: string[] = [];
  if (cell.mode === 'recovery') {
    for (const id of leftovers.terminated)
      recoveryProblems.push(`instance ${id} was terminated in recovery mode`);
    if (run.status !== 'SUCCEEDED') {
      for (const i of leftovers.instances) {
        // The workflow's failure path tags the failed step; where it could not (a stop, a timeout,
        // a job that completed after the end, its own CreateTags refused) the janitor tags the
        // execution's outcome (ABORTED, TIMED_OUT, FAILED).
        const step = i.tags[TagKeys.FailedStep];
        const outcome = i.tags[TagKeys.Outcome];
        const want = run.failedStep;
        if (step !== undefined && want !== null && step !== want)
          recoveryProblems.push(
            `instance ${i.id} is tagged ${TagKeys.FailedStep}=${step}, but ${want} failed`,
          );
        else if (outcome !== undefined && outcome !== run.status)
          recoveryProblems.push(
            `instance ${i.id} is tagged ${TagKeys.Outcome}=${outcome}, but the execution ${run.status}`,
          );
        else if (step === undefined && outcome === undefined)
          recoveryProblems.push(
            `instance ${i.id} was left without ${TagKeys.FailedStep} or ${TagKeys.Outcome}`,
          );
      }
    }
  }
  return {
    run,
    leaks,
    unnamedError: unnamedError(run),
    recoveryProblems,
    keyLeaks: keyLeaks(run),
    misses: cell.covers.filter((pair) => !run.fired.has(pair.replace(/#(test|recovery)$/, ''))),
    emulatorErrors: run.emulatorErrors,
  };
}

function unnamedError(run: CellRun): string | null {
  switch (run.status) {
    case 'SUCCEEDED':
    case 'ABORTED':
      return null;
    case 'TIMED_OUT':
      return run.error === 'States.Timeout' ? null : `timed out with ${run.error}`;
    case 'FAILED':
      return CONTRACT_ERROR_NAMES.some((n) => n === run.error) ? null : `failed with ${run.error}`;
    default:
      return `ended ${run.status}`;
  }
}

/** Where the private key shows, if anywhere. */
export function keyLeaks(run: CellRun): string[] {
  const needles = run.privateKeys.flatMap((pem) => {
    const body = pem.split('\n').filter((l) => l.trim() && !l.startsWith('-----'));
    return [
      pem.trim(),
      JSON.stringify(pem.trim()).slice(1, -1),
      body.join(''),
      Buffer.from(pem).toString('base64'),
      Buffer.from(pem.trim()).toString('base64'),
      ...body.filter((l) => l.trim().length >= 40).map((l) => l.trim()),
    ];
  });
  const places: [string, string][] = [
    ...run.history.map((e): [string, string] => [`history event ${e.id} (${e.type})`, JSON.stringify(e)]),
    ...run.lambdaLogs.map((line, i): [string, string] => [`Lambda log line ${i + 1}`, line]),
    ['output', run.output ?? ''],
    ['cause', run.cause ?? ''],
  ];
  return places.filter(([, text]) => needles.some((n) => text.includes(n))).map(([where]) => where);
}

export interface MatrixCounts {
  readonly cells: number;
  readonly pairs: number;
  /** Cells whose test-mode execution left something behind. */
  readonly leaks: number;
  readonly unnamedErrors: number;
  readonly recoveryProblems: number;
  readonly keyLeaks: number;
  readonly misses: number;
  readonly emulatorErrors: number;
}

export function countVerdicts(verdicts: readonly Verdict[]): MatrixCounts {
  const n = (f: (v: Verdict) => boolean) => verdicts.filter(f).length;
  return {
    cells: verdicts.length,
    pairs: new Set(verdicts.flatMap((v) => v.run.cell.covers)).size,
    leaks: n((v) => v.leaks.length > 0),
    unnamedErrors: n((v) => v.unnamedError !== null),
    recoveryProblems: n((v) => v.recoveryProblems.length > 0),
    keyLeaks: n((v) => v.keyLeaks.length > 0),
    misses: n((v) => v.misses.length > 0),
    emulatorErrors: n((v) => v.emulatorErrors.length > 0),
  };
}

/** One line per cell that broke a rule, saying which and how it ended. */
export function describeFailures(verdicts: readonly Verdict[]): string[] {
  return verdicts.flatMap((v) => {
    const problems = [
      ...v.leaks.map((l) => `leak: ${l}`),
      ...(v.unnamedError ? [`unnamed error: ${v.unnamedError}`] : []),
      ...v.recoveryProblems,
      ...v.keyLeaks.map((k) => `private key in ${k}`),
      ...v.misses.map((m) => `did not exercise ${m}`),
      ...v.emulatorErrors.map((e) => `emulator error: ${e}`),
    ];
    if (problems.length === 0) return [];
    const r = v.run;
    return [
      `${r.cell.id}: ended ${r.status}${r.error ? ` ${r.error}` : ''}${r.failedStep ? ` in ${r.failedStep}` : ''}: ${problems.join('; ')}`,
    ];
  });
}
