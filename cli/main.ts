/**
 * `ec2-restore`: the command a person types in a runbook (contracts §4). Exit codes: 0 success,
 * 1 the restore failed, 2 bad usage or invalid input, 3 configuration or AWS access error.
 */
import '@local/polyfills';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { runDemo } from './commands/demo';
import { runLocal } from './commands/local';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

export const ExitCodes = { Ok: 0, RestoreFailed: 1, Usage: 2, Config: 3 } as const;

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new InvalidArgumentError('must be a port number (0-65535)');
  return n;
}

export function buildProgram(setExit: (code: number) => void): Command {
  const program = new Command('ec2-restore')
    .description('Restore EC2 instances from AWS Backup and prove they work.')
    .version('0.1.0')
    .exitOverride()
    .showHelpAfterError();

  program
    .command('local')
    .description('Run the embedded AWS emulator in the foreground.')
    .option('--scenario <file>', 'scenario file (default: the built-in demo)')
    .option('--port <n>', 'port on 127.0.0.1 (default: any free port)', port, 0)
    .addHelpText(
      'after',
      '\nExample:\n  ec2-restore local --port 4566\n  eval "$(ec2-restore local --port 4566 | grep ^export)"',
    )
    .action(async (opts: { scenario?: string; port: number }) => setExit(await runLocal(opts)));

  program
    .command('demo')
    .description('Start the emulator and restore one instance end to end, showing each step.')
    .option('--scenario <file>', 'scenario file (default: the built-in demo)')
    .option('--instance-id <id>', "instance to restore (default: the scenario's first backed-up instance)")
    .option('--mode <mode>', 'recovery or test', 'recovery')
    .option('--json', 'print the execution output as JSON on stdout', false)
    .addHelpText(
      'after',
      '\nExample:\n  ec2-restore demo\n  ec2-restore demo --scenario my-world.json --mode test --json',
    )
    .action(async (opts: { scenario?: string; instanceId?: string; mode: string; json: boolean }) =>
      setExit(
        await runDemo({
          scenario: opts.scenario,
          instanceId: opts.instanceId,
          json: opts.json,
          input: { mode: opts.mode },
        }),
      ),
    );

  return program;
}

async function main(argv: readonly string[]): Promise<number> {
  let exitCode: number = ExitCodes.Ok;
  const program = buildProgram((code) => {
    exitCode = code;
  });
  try {
    await program.parseAsync(argv.length > 2 ? [...argv] : [...argv, 'demo']);
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? ExitCodes.Ok : ExitCodes.Usage;
    process.stderr.write(`ec2-restore: ${error instanceof Error ? error.message : String(error)}\n`);
    return error instanceof Error && error.name === 'ScenarioError' ? ExitCodes.Usage : ExitCodes.Config;
  }
}

/** Entry point for `bin/ec2-restore.cjs` and `npm start`. */
export function run(argv: readonly string[] = process.argv): void {
  void main(argv).then((code) => {
    process.exitCode = code;
  });
}

if (require.main === module) run();
