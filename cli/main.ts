/**
 * `ec2-restore`: the command a person types in a runbook and a script calls (docs/contract.md §4).
 * Exit codes (exit-codes.ts): 0 success, 1 the restore failed, 2 bad usage or invalid input,
 * 3 configuration or AWS access error. Under `--json` stdout holds exactly one JSON document.
 */
import { Command, CommanderError, Option } from 'commander';
import type { FleetFlags } from './commands/fleet';
import { CliContext, type GlobalOptions } from './context';
import { type CliError, explainError, usageError } from './errors';
import { ExitCodes } from './exit-codes';
import { NUMERIC_FLAGS, wholeNumber } from './flag-values';
import { type Io, processIo } from './io';
import type { StartFlags } from './restore-flags';
import { VERSION } from './version';

/**
 * Each command's module loads when that command runs: `status` or `--version` need not load the
 * emulator, CDK and every step Lambda, which `demo` and `local` do.
 */
const commands = {
  demo: () => require('./commands/demo') as typeof import('./commands/demo'),
  fleet: () => require('./commands/fleet') as typeof import('./commands/fleet'),
  list: () => require('./commands/list') as typeof import('./commands/list'),
  local: () => require('./commands/local') as typeof import('./commands/local'),
  recoveryPoints: () => require('./commands/recovery-points') as typeof import('./commands/recovery-points'),
  report: () => require('./commands/report') as typeof import('./commands/report'),
  start: () => require('./commands/start') as typeof import('./commands/start'),
  status: () => require('./commands/status') as typeof import('./commands/status'),
  sweep: () => require('./commands/sweep') as typeof import('./commands/sweep'),
  watch: () => require('./commands/watch') as typeof import('./commands/watch'),
};

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const example = (...lines: string[]) =>
  `\nExample${lines.length > 1 ? 's' : ''}:\n${lines.map((l) => `  ${l}`).join('\n')}`;

const POLL_OPTION = () =>
  new Option('--poll-interval <seconds>', 'seconds between progress reads')
    .argParser(NUMERIC_FLAGS.pollInterval)
    .default(2);

export function buildProgram(io: Io, setExit: (code: number) => void): Command {
  const program = new Command('ec2-restore')
    .description('Restore EC2 instances from AWS Backup and prove they work.')
    .version(VERSION)
    .option('--region <region>', 'AWS Region (default: AWS_REGION, the ARN given, or your profile)')
    .option('--endpoint-url <url>', 'AWS endpoint, e.g. the emulator (default: AWS_ENDPOINT_URL)')
    .option(
      '--state-machine-arn <arn>',
      'the state machine (default: EC2_RESTORE_STATE_MACHINE_ARN; for fleet EC2_RESTORE_FLEET_STATE_MACHINE_ARN)',
    )
    .option('--json', 'print exactly one JSON document on stdout; progress goes to stderr')
    .exitOverride()
    .showHelpAfterError()
    .configureHelp({ showGlobalOptions: true })
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .addHelpText(
      'after',
      `${example(
        'ec2-restore recovery-points --instance-id i-0123456789abcdef0',
        'ec2-restore start --instance-id i-0123456789abcdef0 --wait',
        'ec2-restore start --instance-id i-0123456789abcdef0 --mode test --wait   # rehearse, then clean up',
        'ec2-restore fleet --tag AWSBackup=EC2 --mode test --wait                 # every tagged instance',
      )}\n\nExit codes: 0 success, 1 the restore (or any fleet member) failed, 2 bad usage or input, 3 configuration or AWS access.`,
    );

  /** Runs a command with a context built from the global options; errors become exit 2/3 with a fix. */
  const action =
    <A extends unknown[]>(run: (ctx: CliContext, ...args: A) => Promise<number>) =>
    async (...args: unknown[]) => {
      const command = args.at(-1) as Command;
      const ctx = new CliContext(command.optsWithGlobals<GlobalOptions>(), io);
      try {
        setExit(await run(ctx, ...(args.slice(0, -1) as A)));
      } catch (error) {
        setExit(reportError(ctx, error));
      } finally {
        ctx.dispose();
      }
    };

  program
    .command('start')
    .description('Start a restore of one instance; --wait follows it to the end.')
    .option('--instance-id <id>', 'instance to restore (an ID or an instance ARN)')
    .option('--recovery-point <arn>', 'restore this recovery point instead of the latest')
    .option('--before <iso>', 'the latest recovery point at or before this time')
    .option('--vault <name>', 'only recovery points in this backup vault')
    .option('--subnet-id <id>', 'restore into this subnet')
    .option('--security-group-ids <a,b>', 'with these security groups')
    .option('--instance-type <type>', 'as this instance type')
    .option('--instance-profile <mode>', 'reattach (default) | passrole | none')
    .option('--public-ip <policy>', 'auto (default) | always | never')
    .option('--ssh-user <user>', 'user for the SSH check (default ec2-user)')
    .addOption(sshPortOption())
    .option('--no-ssh', 'skip the SSH check')
    .option('--mode <mode>', 'recovery (keep the instance, default) | test (validate, then clean up)')
    .option('--dry-run', 'pre-flight checks and plan only; create nothing')
    .option(
      '--restore-timeout-minutes <n>',
      'give up on the restore job after this long (default 240)',
      NUMERIC_FLAGS.restoreTimeoutMinutes,
    )
    .option('--name <name>', 'execution name; re-running with the same name and flags does not start another')
    .option('--wait', 'follow the restore to the end, like watch')
    .addOption(POLL_OPTION())
    .option(
      '--via-api <url>',
      'start through the REST API at this stage URL (SigV4, execute-api), not Step Functions',
    )
    .addHelpText(
      'after',
      example(
        'ec2-restore start --instance-id i-0123456789abcdef0 --wait',
        'ec2-restore start --instance-id i-0123456789abcdef0 --before 2026-11-20T00:00:00Z --name ops-123-restore',
        'ec2-restore start --instance-id i-0123456789abcdef0 --mode test --json',
        'ec2-restore start --instance-id i-0123456789abcdef0 --mode test --via-api https://abc123defg.execute-api.us-east-1.amazonaws.com/v1',
      ),
    )
    .action(action((ctx, flags: StartFlags) => commands.start().runStart(flags, ctx)));

  program
    .command('watch')
    .description('Follow an execution live until it ends (Ctrl-C stops watching, not the restore).')
    .argument('<execution>', 'execution ARN (or name, with the state machine ARN set)')
    .addOption(POLL_OPTION())
    .addHelpText(
      'after',
      example(
        'ec2-restore watch arn:aws:states:us-east-1:123456789012:execution:restore-instance:restore-i-0123456789abcdef0-20261120T101500Z',
      ),
    )
    .action(
      action((ctx, ref: string, opts: { pollInterval: number }) => commands.watch().runWatch(ref, opts, ctx)),
    );

  program
    .command('status')
    .description('Show where an execution is, or how it ended (exit 1 if it failed).')
    .argument('<execution>', 'execution ARN (or name, with the state machine ARN set)')
    .option('--via-api <url>', 'read through the REST API at this stage URL (SigV4, execute-api)')
    .option(
      '--mode <mode>',
      "with --via-api: the path's mode, test | recovery (default: from the api-test-/api-recovery- name)",
    )
    .addHelpText(
      'after',
      example(
        'ec2-restore status restore-i-0123456789abcdef0-20261120T101500Z --json',
        'ec2-restore status --via-api https://abc123defg.execute-api.us-east-1.amazonaws.com/v1 api-test-nightly',
      ),
    )
    .action(
      action((ctx, ref: string, opts: { viaApi?: string; mode?: string }) =>
        commands.status().runStatus(ref, ctx, opts),
      ),
    );

  program
    .command('list')
    .description('List recent executions, newest first.')
    .option('--status <status>', 'RUNNING | SUCCEEDED | FAILED | TIMED_OUT | ABORTED')
    .option('--max <n>', 'at most this many', NUMERIC_FLAGS.max, 20)
    .addHelpText('after', example('ec2-restore list --status FAILED'))
    .action(action((ctx, opts: { status?: string; max: number }) => commands.list().runList(opts, ctx)));

  program
    .command('sweep')
    .description(
      "List test-mode leftovers of ended executions (the janitor's sweep rules); --apply removes them. Exit 1 when any are found.",
    )
    .option('--apply', 'terminate the instances and release the Elastic IPs found')
    .option(
      '--retention-minutes <n>',
      'only executions that ended at least this long ago',
      wholeNumber('--retention-minutes', 0, 10_080, 30),
      30,
    )
    .addHelpText(
      'after',
      example('ec2-restore sweep', 'ec2-restore sweep --apply --retention-minutes 0 --json'),
    )
    .action(
      action((ctx, opts: { apply?: boolean; retentionMinutes: number }) =>
        commands.sweep().runSweep(opts, ctx),
      ),
    );

  program
    .command('recovery-points')
    .description("List an instance's recovery points, newest first, with their age (RPO).")
    .requiredOption('--instance-id <id>', 'the backed-up instance')
    .option('--vault <name>', 'only this backup vault')
    .addHelpText(
      'after',
      example('ec2-restore recovery-points --instance-id i-0123456789abcdef0 --vault EC2'),
    )
    .action(
      action((ctx, opts: { instanceId: string; vault?: string }) =>
        commands.recoveryPoints().runRecoveryPoints(opts, ctx),
      ),
    );

  program
    .command('report')
    .description(
      'Write an offline HTML report: the restore timeline, RPO, RTO and summary (a fleet: a bar per instance).',
    )
    .argument('<execution>', 'execution ARN (or name, with the state machine ARN set)')
    .option('--out <file>', 'where to write it (default: <execution name>.html)')
    .addHelpText(
      'after',
      example('ec2-restore report restore-i-0123456789abcdef0-20261120T101500Z --out restore.html'),
    )
    .action(
      action((ctx, ref: string, opts: { out?: string }) => commands.report().runReport(ref, opts, ctx)),
    );

  program
    .command('fleet')
    .description('Restore many instances at once (restore-fleet); --wait follows them all to the end.')
    .option('--instance-ids <a,b>', 'restore these instances (IDs, comma-separated)')
    .option('--tag <key=value>', 'or every instance whose recovery points carry this tag')
    .option('--vault <name>', 'only recovery points in this backup vault')
    .option(
      '--max-concurrency <n>',
      'restores running at once (default 10, at most 40)',
      NUMERIC_FLAGS.maxConcurrency,
    )
    .option('--before <iso>', 'for each instance, the latest recovery point at or before this time')
    .option('--subnet-id <id>', 'restore every instance into this subnet')
    .option('--security-group-ids <a,b>', 'with these security groups')
    .option('--instance-type <type>', 'as this instance type')
    .option('--instance-profile <mode>', 'reattach (default) | passrole | none')
    .option('--public-ip <policy>', 'auto (default) | always | never')
    .option('--ssh-user <user>', 'user for the SSH check (default ec2-user)')
    .addOption(sshPortOption())
    .option('--no-ssh', 'skip the SSH check')
    .option('--mode <mode>', 'recovery (keep the instances, default) | test (validate, then clean up)')
    .option('--dry-run', 'pre-flight checks and plan only; create nothing')
    .option(
      '--restore-timeout-minutes <n>',
      'give up on a restore job after this long (default 240)',
      NUMERIC_FLAGS.restoreTimeoutMinutes,
    )
    .option('--name <name>', 'execution name; re-running with the same name and flags does not start another')
    .option('--wait', 'follow the fleet to the end: n of N done, then one row per instance')
    .addOption(POLL_OPTION())
    .addHelpText(
      'after',
      `${example(
        'ec2-restore fleet --tag AWSBackup=EC2 --mode test --max-concurrency 5 --wait',
        'ec2-restore fleet --instance-ids i-0123456789abcdef0,i-0123456789abcdef1 --vault EC2 --json',
      )}\n\nThe state machine is EC2_RESTORE_FLEET_STATE_MACHINE_ARN (or --state-machine-arn). Exit 1 when any instance failed.`,
    )
    .action(action((ctx, flags: FleetFlags) => commands.fleet().runFleet(flags, ctx)));

  program
    .command('local')
    .description('Run the embedded AWS emulator in the foreground.')
    .option('--scenario <file>', 'scenario file (default: the built-in demo)')
    .option('--port <n>', 'port on 127.0.0.1 (default: any free port)', NUMERIC_FLAGS.localPort, 0)
    .addOption(clockOption('fixed: the scenario speed throughout, to watch a rehearsal'))
    .option(
      '--no-events',
      "without the stack's EventBridge rules and schedules (the janitor); also EC2_RESTORE_EVENTS=off",
    )
    .addHelpText(
      'after',
      example(
        'ec2-restore local --port 4566      # prints READY and the export lines a client needs',
        '# in another shell, after pasting those export lines:',
        'ec2-restore start --instance-id i-0de00000000000001 --ssh-port 2222 --wait',
      ),
    )
    .action(
      action((_ctx, opts: { scenario?: string; port: number; clock?: ClockMode; events?: boolean }) =>
        commands.local().runLocal(opts),
      ),
    );

  program
    .command('demo')
    .description('Start the emulator and restore one instance end to end, showing each step.')
    .option('--scenario <file>', 'scenario file (default: the built-in demo)')
    .option('--instance-id <id>', "instance to restore (default: the scenario's first backed-up instance)")
    .addOption(
      new Option('--mode <mode>', 'recovery or test').choices(['recovery', 'test']).default('recovery'),
    )
    .option('--report <file>', 'where to write the HTML report (default: a temporary file)')
    .addOption(clockOption('event: idle time is skipped'))
    .addHelpText(
      'after',
      example('ec2-restore demo', 'ec2-restore demo --scenario my-world.json --mode test --json'),
    )
    .action(
      action(
        (
          ctx,
          opts: { scenario?: string; instanceId?: string; mode: string; report?: string; clock?: ClockMode },
        ) =>
          commands.demo().runDemo(
            {
              scenario: opts.scenario,
              instanceId: opts.instanceId,
              input: { mode: opts.mode },
              report: opts.report,
              clock: opts.clock,
            },
            ctx,
          ),
      ),
    );

  return program;
}

type ClockMode = 'event' | 'fixed';

/** `--clock event|fixed`: the emulator's simulated clock (local/README.md, "The simulated clock"). */
function clockOption(byDefault: string): Option {
  return new Option(
    '--clock <mode>',
    `simulated clock: event (skips idle time) or fixed (the scenario's speed); default: the scenario's clock.mode, else ${byDefault}`,
  ).choices(['event', 'fixed']);
}

/** The `--json` document of an error. */
function errorDocument(problem: CliError) {
  return { error: { code: problem.code, message: problem.message, fix: problem.fix ?? null } };
}

/** Prints the error and its fix (stderr; under --json also one JSON document on stdout). */
function reportError(ctx: CliContext, error: unknown): number {
  const problem = explainError(error, ctx.errorContext());
  ctx.io.stderr.write(`ec2-restore: ${problem.message}\n${problem.fix ? `  fix: ${problem.fix}\n` : ''}`);
  if (ctx.json) ctx.emit(errorDocument(problem));
  return problem.exitCode;
}

/** Parses and runs one command line; resolves to the exit code. */
export async function main(argv: readonly string[], io: Io = processIo()): Promise<number> {
  let exitCode: number = ExitCodes.Ok;
  const program = buildProgram(io, (code) => {
    exitCode = code;
  });
  try {
    await program.parseAsync(argv.length > 2 ? [...argv] : [...argv, 'demo']);
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError && error.exitCode === 0) return ExitCodes.Ok;
    let problem: CliError;
    if (error instanceof CommanderError) {
      // Commander has written its own message to stderr; the fix names the command's help.
      const command = program.commands.map((c) => c.name()).find((name) => argv.slice(2).includes(name));
      problem = usageError(
        error.message.replace(/^error: /, ''),
        `See \`ec2-restore${command ? ` ${command}` : ''} --help\` for each flag and an example.`,
      );
    } else {
      // A flag's parser refused its value (flag-values.ts): the same message and fix as any usage error.
      problem = explainError(error);
      io.stderr.write(`ec2-restore: ${problem.message}\n${problem.fix ? `  fix: ${problem.fix}\n` : ''}`);
    }
    // --json promises one document on stdout, whatever went wrong.
    if (argv.includes('--json')) io.stdout.write(`${JSON.stringify(errorDocument(problem), null, 2)}\n`);
    return problem.exitCode;
  }
}

/** Entry point for `bin/ec2-restore.cjs` and `npm start`. */
export function run(argv: readonly string[] = process.argv): void {
  void main(argv).then((code) => {
    process.exitCode = code;
  });
}

if (require.main === module) run();

/**
 * The SSH check's port: the flag, else EC2_RESTORE_SSH_PORT, which `ec2-restore local` exports
 * when its sshd is not on 22, so the runbook's commands run unchanged against the emulator and AWS.
 */
function sshPortOption(): Option {
  return new Option('--ssh-port <n>', 'port for the SSH check (default 22)')
    .argParser(NUMERIC_FLAGS.sshPort)
    .env('EC2_RESTORE_SSH_PORT');
}
