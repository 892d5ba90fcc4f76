// Type-checking happens once in `tsc --noEmit`; jest only transpiles (isolatedModules), which keeps
// the suite fast on a 2-core machine.
/** @type {import('jest').Config} */
const config = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  moduleNameMapper: {
    '^@shared/(.*)$': '<rootDir>/lambdas/shared/$1',
    '^@lambdas/(.*)$': '<rootDir>/lambdas/$1',
    '^@state-machines/(.*)$': '<rootDir>/state-machines/$1',
    '^@infra/(.*)$': '<rootDir>/infra/$1',
    '^@local/(.*)$': '<rootDir>/local/$1',
    '^@cli/(.*)$': '<rootDir>/cli/$1',
    '^@test/(.*)$': '<rootDir>/test/$1',
  },
  setupFiles: ['<rootDir>/test/setup-env.ts'],
  // The emulator enforces the synthesised stack's IAM: synthesise it once, before any worker starts.
  globalSetup: '<rootDir>/test/global-setup.cjs',
  // CDK synthesises an App without an outdir into a new temp directory (cdk.out*) and removes it
  // only at process exit, which jest's workers never reach: its autoclean removes them per file.
  setupFilesAfterEnv: ['<rootDir>/test/setup-after-env.ts', 'aws-cdk-lib/testhelpers/jest-autoclean'],
  // A hang detector, not a performance check (that is the bench): loaded CI machines run suites several
  // times slower than a quiet one, so each test gets twice its run's deadline (45 s, test/helpers).
  testTimeout: 90_000,
  // Most suites wait on emulators, child processes and Chromium rather than compute, so three workers
  // on a 2-core machine take the suite from about 6 to under 3 minutes. Each worker's emulators get
  // their own loopback range (local/README.md), so parallel workers never reach each other's hosts.
  maxWorkers: 3,
};

module.exports = config;
