/**
 * Once per jest run: fills the disk cache of the synthesised orchestrator template the emulator
 * enforces (local/iam/synthesised-stack.ts), so that no test's emulator start pays a synthesis.
 */
'use strict';

const { spawnSync } = require('node:child_process');
const { join } = require('node:path');

module.exports = () => {
  const root = join(__dirname, '..');
  const result = spawnSync(
    process.execPath,
    [join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs'), 'local/iam/warm-synth-cache.ts'],
    {
      cwd: root,
      stdio: ['ignore', 'ignore', 'inherit'],
      timeout: 300_000,
    },
  );
  if (result.status !== 0)
    throw new Error('could not synthesise the orchestrator template (local/iam/warm-synth-cache.ts)');
};
