/**
 * `npm test`: the whole suite on a supported Node, after checking, within seconds, everything it
 * needs beyond npm. A missing tool is installed where the machine allows it (Debian's packages,
 * as root) and otherwise named with the command that installs it, before any test runs: a
 * missing browser must not surface as three failures after minutes of tests. Arguments go to jest.
 */
'use strict';

const { spawnSync } = require('node:child_process');
const { join } = require('node:path');
const { onSupportedNode } = require('./supported-node.cjs');

const CHROMIUM = process.env.CHROMIUM || 'chromium';

/** What the suite needs besides npm packages: how to see it is there, and how to get it. */
const PREREQUISITES = [
  {
    what: `Chromium (${CHROMIUM}), which renders the HTML reports in test/cli`,
    present: () => runs(CHROMIUM, ['--version']),
    debianPackages: process.env.CHROMIUM ? [] : ['chromium'],
    install: 'apt-get install chromium (Debian/Ubuntu), or set CHROMIUM to a Chrome or Chromium binary',
  },
  {
    what: 'Python 3 with moto and botocore, the reference AWS emulator and models test/emulator checks wire formats against',
    present: () => runs('python3', ['-c', 'import moto.server, botocore']),
    debianPackages: [],
    install: 'python3 -m pip install "moto[server]" botocore',
  },
  {
    what: 'the AWS CLI (aws), an independent client of the emulator in test/emulator',
    present: () => runs('aws', ['--version']),
    debianPackages: ['awscli'],
    install: 'apt-get install awscli, or python3 -m pip install awscli',
  },
];

function runs(command, args) {
  const result = spawnSync(command, args, { stdio: 'ignore', timeout: 20_000 });
  return result.status === 0;
}

function canInstallDebianPackages() {
  return process.platform === 'linux' && process.getuid?.() === 0 && runs('apt-get', ['--version']);
}

function installDebianPackages(packages) {
  process.stderr.write(`== installing Debian packages the suite needs: ${packages.join(', ')}\n`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const update = spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  if (update.status !== 0) return;
  spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...packages], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env,
  });
}

function ensurePrerequisites() {
  let missing = PREREQUISITES.filter((p) => !p.present());
  const installable = missing.flatMap((p) => p.debianPackages);
  if (installable.length > 0 && canInstallDebianPackages()) {
    installDebianPackages(installable);
    missing = missing.filter((p) => !p.present());
  }
  if (missing.length === 0) return;
  process.stderr.write('npm test cannot run: the suite needs\n');
  for (const p of missing) process.stderr.write(`  - ${p.what}\n    install: ${p.install}\n`);
  process.exit(2);
}

onSupportedNode(() => {
  ensurePrerequisites();
  const started = Date.now();
  const jest = spawnSync(
    process.execPath,
    [join(__dirname, '..', 'node_modules', 'jest', 'bin', 'jest.js'), ...process.argv.slice(2)],
    { stdio: 'inherit' },
  );
  const seconds = Math.round((Date.now() - started) / 1000);
  process.stderr.write(
    `Suite time: ${Math.floor(seconds / 60)}m ${seconds % 60}s (node ${process.versions.node})\n`,
  );
  process.exit(jest.status ?? 1);
});
