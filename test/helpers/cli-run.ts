/**
 * Runs `ec2-restore` the two ways the CLI tests need: as a child process (what a person or a
 * script runs: real exit codes, real stdout/stderr, signals) and in-process through `main` with
 * captured streams (fast, and a stream can pretend to be a terminal). Both get an environment
 * that holds only what the test gives, so a developer's own AWS config never leaks in.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { Io, OutputStream } from '@cli/io';
import { main } from '@cli/main';
import { type Emulator, startEmulator } from '@local/emulator';
import type { ScenarioInput } from '@local/scenario';
import { demoScenario } from './scenarios';
import { scratchDir } from './scratch';

export const BIN = join(__dirname, '..', '..', 'bin', 'ec2-restore.cjs');

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export type Env = Readonly<Record<string, string | undefined>>;

const home = scratchDir('ec2-restore-cli-home-');

/** No profile, no credentials file, no instance metadata: only `extra` configures AWS access. */
export function isolatedEnv(extra: Env = {}): Env {
  return {
    PATH: process.env.PATH,
    HOME: home,
    AWS_CONFIG_FILE: join(home, 'no-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(home, 'no-credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    ...extra,
  };
}

/**
 * The CLI as a child process. Asynchronous on purpose: the emulator it talks to runs in this
 * process and must keep answering while the child waits.
 */
export function runCli(args: readonly string[], env: Env, timeoutMs = 30_000): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: env as NodeJS.ProcessEnv });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(`ec2-restore ${args.join(' ')} did not exit within ${timeoutMs} ms\n${stdout}\n${stderr}`),
      );
    }, timeoutMs);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** A stream that records what was written; `isTTY` makes it a pretend terminal. */
export class CapturedStream implements OutputStream {
  text = '';

  constructor(
    readonly isTTY = false,
    readonly columns = 160,
  ) {}

  write(text: string): boolean {
    this.text += text;
    return true;
  }
}

export interface InProcessOptions {
  readonly env: Env;
  /** Make stdout and stderr pretend to be a terminal. */
  readonly tty?: boolean;
  /** Stands in for Ctrl-C: called with the CLI's handler when it starts listening (default: never presses it). */
  readonly onInterrupt?: Io['onInterrupt'];
}

/** The CLI through `main`, in this process. */
export async function runInProcess(args: readonly string[], options: InProcessOptions): Promise<CliResult> {
  const stdout = new CapturedStream(options.tty);
  const stderr = new CapturedStream(options.tty);
  const io: Io = { stdout, stderr, env: options.env, onInterrupt: options.onInterrupt ?? (() => () => {}) };
  const code = await main(['node', 'ec2-restore', ...args], io);
  return { code, stdout: stdout.text, stderr: stderr.text };
}

export interface CliEmulator {
  readonly emulator: Emulator;
  /** What `ec2-restore local` would have the user export (endpoint, Region, keys, state machine ARN). */
  readonly env: Env;
  stop(): Promise<void>;
}

/** The demo world (sshd on port 2222) with overrides, and the environment a CLI needs to use it. */
export async function startCliEmulator(
  overrides: Partial<ScenarioInput> = {},
  /** `events: false`: without the janitor (on by default), e.g. to leave leftovers for `sweep`. */
  options: { events?: boolean } = {},
): Promise<CliEmulator> {
  const emulator = await startEmulator({ scenario: demoScenario(overrides), ...options });
  return { emulator, env: isolatedEnv(emulator.clientEnv), stop: () => emulator.stop() };
}
