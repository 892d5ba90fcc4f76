// The layering of docs/architecture.md ("Layout"), checked by `npm run deps` instead of remembered in review.
// Each rule names the direction it forbids and why; paths are repository-relative, and the path
// aliases (@shared/*, @cli/*, …) are resolved through tsconfig.json, so an alias and a relative
// import are the same edge.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'A cycle makes load order matter and every module in it part of every other one.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'lambdas-stand-alone',
      severity: 'error',
      comment:
        'A step Lambda is bundled on its own: it may use lambdas/ and packages, never the workflow definitions, the stacks, the emulator, the CLI, the benches or the tests.',
      from: { path: '^lambdas/' },
      to: { path: '^(state-machines|infra|local|cli|bench|test)/' },
    },
    {
      name: 'lambdas-zod-through-shared-zod',
      severity: 'error',
      comment:
        "A step validates with zod/mini through lambdas/shared/zod.ts, which sets the English messages mini does not load: classic 'zod' would put its 96 KiB back into every bundle's cold start, and zod/mini imported directly could parse before the messages are set.",
      from: { path: '^lambdas/', pathNot: '^lambdas/shared/zod[.]ts$' },
      // (^|/): a worktree whose node_modules is a symlink resolves packages to ../<checkout>/node_modules.
      to: { path: '(^|/)node_modules/zod/' },
    },
    {
      name: 'state-machines-below-infra',
      severity: 'error',
      comment: 'The workflow definitions are rendered to ASL without a stack, an emulator or the CLI.',
      from: { path: '^state-machines/' },
      to: { path: '^(infra|local|cli)/' },
    },
    {
      name: 'cli-not-infra-or-state-machines',
      severity: 'error',
      comment:
        'The CLI talks to a deployed workflow through the AWS API and must not load aws-cdk-lib: state names and request schemas come from lambdas/shared.',
      from: { path: '^cli/' },
      to: { path: '^(infra|state-machines)/' },
    },
    {
      name: 'cli-without-aws-cdk-lib',
      severity: 'error',
      comment:
        'Watching, status and reports load in a blink: nothing but the emulator commands (and the entry point that registers them) may reach aws-cdk-lib, even through lambdas/shared.',
      from: { path: '^cli/', pathNot: '^cli/(main|commands/(local|demo))[.]ts$' },
      to: { path: '^node_modules/aws-cdk-lib/', reachable: true },
    },
    {
      name: 'cli-only-the-emulator-from-local',
      severity: 'error',
      comment:
        'Only `ec2-restore local` and `ec2-restore demo` run the emulator (local/emulator.ts); nothing else in the CLI reaches into local/.',
      from: { path: '^cli/', pathNot: '^cli/commands/(local|demo)[.]ts$' },
      to: { path: '^local/' },
    },
    {
      name: 'cli-commands-local-and-demo-only-the-emulator',
      severity: 'error',
      comment: 'The two emulator commands start it through its front door, nothing deeper.',
      from: { path: '^cli/commands/(local|demo)[.]ts$' },
      to: { path: '^local/', pathNot: '^local/emulator[.]ts$' },
    },
    {
      name: 'cli-commands-independent',
      severity: 'error',
      comment:
        'A command is a leaf: what two commands share lives in a cli/ module both import (launch.ts, follow.ts, fleet-status.ts, report-data.ts, …).',
      from: { path: '^cli/commands/' },
      to: { path: '^cli/commands/' },
    },
    {
      name: 'local-not-infra',
      severity: 'error',
      comment:
        'The emulator deploys the rendered state machines and the Lambda environments from lambdas/shared; the CDK stacks are not needed to run it. One exception: the REST API it serves and the IAM policies it enforces are read from the synthesised orchestrator stack, by that one module (cached on disk, loaded only on a cache miss).',
      from: { path: '^local/', pathNot: '^local/iam/synthesised-stack[.]ts$' },
      to: { path: '^infra/' },
    },
    {
      name: 'production-not-test',
      severity: 'error',
      comment:
        'Tests depend on production code, never the other way round. One exception: the fault-matrix bench section runs the fault-matrix test helpers (the same cells, runner and rules as the test), as issue 14 asks.',
      from: {
        path: '^(lambdas|state-machines|infra|cli|local|bench|bin|types)/',
        pathNot: '^bench/sections/fault-matrix[.]ts$',
      },
      to: { path: '^test/' },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment:
        'An import that does not resolve is a typo or a missing package; the rules above cannot see it.',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // Type-only imports count: a type-only cycle or layer breach is still a design dependency.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    // The CLI is loaded through tsx as CommonJS; resolve the way TypeScript does.
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.d.ts', '.js', '.cjs', '.mjs', '.json'],
    },
    exclude: { path: '^(cdk[.]out|coverage|bench/results)/' },
  },
};
