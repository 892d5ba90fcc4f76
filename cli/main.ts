/**
 * `ec2-restore`: the command a person types in a runbook (contracts §4). Today it knows only what
 * the foundation provides; the emulator-backed `demo`/`local` and the AWS commands come with the
 * emulator and CLI issues, and until then it says so plainly instead of pretending.
 */
import '@local/polyfills';
import { renderRestoreInstanceAsl } from '@state-machines/render';

function main(argv: readonly string[]): number {
  const command = argv[0] ?? 'demo';
  const asl = renderRestoreInstanceAsl();
  const stateCount = Object.keys(asl.States).length;
  const lines = [
    'ec2-restore-orchestrator',
    `  restore-instance workflow: ${stateCount} states (state-machines/restore-instance/restore-instance.asl.json)`,
    '',
    `"${command}" is not available yet: it needs the embedded AWS emulator (local/), which is not built yet.`,
    'What works today: the workflow definition and its step Lambdas, proven by `npm test`.',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}

process.exitCode = main(process.argv.slice(2));
