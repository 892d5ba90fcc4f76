/**
 * The orchestrator stack's CloudFormation template, synthesised in memory the way `npx cdk synth`
 * builds it (infra/build-app.ts, cdk.json's context and feature flags, cdk-nag) but with asset
 * bundling off and without the backup stack, so the emulator serves the REST API and enforces the
 * IAM policies that deploy, not copies of them. With local/apigateway/synthesised-api.ts (which
 * re-exports this) the one place local/ reaches into infra/.
 *
 * Synthesis takes seconds (6 s measured cold on the 2-core dev machine), more than `npm start`
 * may spend, so templates are cached on disk under a key that hashes everything synthesis reads:
 * every source file under infra/, lambdas/ and state-machines/, cdk.json, package-lock.json (the
 * CDK and cdk-nag versions), this file and the context given. Any change to one of them is a new
 * key, so a cached template is never stale (local/disk-cache.ts says where it lives and how to
 * turn it off).
 */
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cacheFile, readCached, writeCached } from '../disk-cache';

export interface CloudFormationTemplate {
  readonly Resources: Readonly<
    Record<string, { readonly Type: string; readonly Properties?: Record<string, unknown> }>
  >;
  readonly Outputs?: Readonly<Record<string, { readonly Value: unknown }>>;
}

export interface SynthesisedTemplate {
  readonly template: CloudFormationTemplate;
  /** Wall time to obtain it (synthesis, or reading the cache), for the log and the bench. */
  readonly milliseconds: number;
  /** Whether it came from the disk cache (or this process's memory) rather than a synthesis. */
  readonly cached: boolean;
}

const ROOT = join(__dirname, '..', '..');
const SOURCE_DIRS = ['infra', 'lambdas', 'state-machines'];
const memory = new Map<string, CloudFormationTemplate>();

export function synthesiseOrchestratorTemplate(env: {
  account: string;
  region: string;
  /** Context over cdk.json's (e.g. the scenario's instanceRoleArns). */
  context?: Readonly<Record<string, unknown>>;
}): SynthesisedTemplate {
  const started = performance.now();
  const { context: cdkContext = {} } = JSON.parse(readFileSync(join(ROOT, 'cdk.json'), 'utf8')) as {
    context?: Record<string, unknown>;
  };
  const context = {
    ...cdkContext,
    ...env.context,
    deployApi: true,
    deployBackupStack: false,
    // No Lambda is bundled: only the template is read (test/infra/synth.ts does the same).
    'aws:cdk:bundling-stacks': [],
  };
  const key = cacheKey({ account: env.account, region: env.region, context });
  const elapsed = () => performance.now() - started;
  const remembered = memory.get(key);
  if (remembered) return { template: remembered, milliseconds: elapsed(), cached: true };
  const name = `orchestrator-${key}.json`;
  const file = cacheFile(name);
  const cachedTemplate = () => {
    const template = readCached<CloudFormationTemplate>(name);
    if (template !== undefined) memory.set(key, template);
    return template && { template, milliseconds: elapsed(), cached: true };
  };
  const onDisk = cachedTemplate(); // none yet, or a partial file from a crash: synthesise
  if (onDisk) return onDisk;
  // One process synthesises a given key at a time; the others wait for its file (jest workers
  // starting together on a cold cache would otherwise each spend seconds of CPU on the same work).
  const lock = file === undefined ? undefined : acquireLock(`${file}.lock`);
  try {
    // Unless the other process failed or gave up: then synthesise here.
    const written = lock === 'none' ? undefined : cachedTemplate();
    if (written) return written;
    const template = synthesise({ account: env.account, region: env.region }, context);
    memory.set(key, template);
    writeCached(name, template);
    return { template, milliseconds: elapsed(), cached: false };
  } finally {
    if (lock === 'held' && file !== undefined) rmSync(`${file}.lock`, { force: true });
  }
}

/** How long a process waits for another's synthesis before doing its own. */
const LOCK_WAIT_MS = 120_000;

/**
 * `held` when this process created the lock file, `waited` when another process held it and has
 * let go, `none` when the cache directory is not writable. Either way the caller first looks for
 * the cached file again: another process may have written it meanwhile.
 */
function acquireLock(lockFile: string): 'held' | 'waited' | 'none' {
  try {
    mkdirSync(join(lockFile, '..'), { recursive: true });
  } catch {
    return 'none';
  }
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      writeFileSync(lockFile, String(process.pid), { flag: 'wx' });
      return 'held';
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') return 'none';
    }
    if (Date.now() > deadline || !lockHolderAlive(lockFile)) {
      rmSync(lockFile, { force: true });
      continue;
    }
    // Synchronous callers (the emulator's start): sleep without spinning the CPU.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
    if (!existsSync(lockFile)) return 'waited';
  }
}

function lockHolderAlive(lockFile: string): boolean {
  try {
    process.kill(Number(readFileSync(lockFile, 'utf8')), 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function synthesise(env: { account: string; region: string }, context: Record<string, unknown>) {
  // aws-cdk-lib, cdk-nag and the stacks load only on a cache miss.
  const { App } = require('aws-cdk-lib') as typeof import('aws-cdk-lib');
  const { buildApp } = require('@infra/build-app') as typeof import('@infra/build-app');
  const outdir = mkdtempSync(join(tmpdir(), 'ec2-restore-synth-'));
  try {
    const app = new App({ outdir, context });
    const { orchestrator } = buildApp(app, env);
    return app.synth().getStackByName(orchestrator.stackName).template as CloudFormationTemplate;
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/** A hash of every input of the synthesis (see the top of this file). */
export function cacheKey(inputs: unknown): string {
  const hash = createHash('sha256');
  hash.update(JSON.stringify(inputs));
  for (const file of [
    'cdk.json',
    'package-lock.json',
    join('local', 'iam', 'synthesised-stack.ts'),
    ...SOURCE_DIRS.flatMap((dir) => sourceFiles(dir)),
  ]) {
    hash.update(`\0${file}\0`);
    hash.update(readFileSync(join(ROOT, file)));
  }
  return hash.digest('hex').slice(0, 32);
}

function sourceFiles(dir: string): string[] {
  const entries = readdirSync(join(ROOT, dir), { withFileTypes: true, recursive: true });
  return entries
    .filter((entry) => entry.isFile() && /\.(ts|json|cjs|js)$/.test(entry.name))
    .map((entry) => join(entry.parentPath.slice(ROOT.length + 1), entry.name))
    .sort();
}
