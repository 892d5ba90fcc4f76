#!/usr/bin/env node
// The package's `bin`: runs the TypeScript CLI through tsx, so no build step is needed. The
// project's tsconfig (path aliases) applies whatever the caller's working directory is.
const path = require('node:path');

// On a Node older than the project supports, this runs again under a supported one (fetched once).
require('../scripts/supported-node.cjs').onSupportedNode(() => {
  // V8's code cache on disk (Node 22.1+): a second start compiles none of the ~450 modules again,
  // about a tenth of `npm start`. NODE_COMPILE_CACHE moves it, NODE_DISABLE_COMPILE_CACHE=1 turns it off.
  require('node:module').enableCompileCache?.(
    process.env.NODE_COMPILE_CACHE ??
      path.join(
        process.env.XDG_CACHE_HOME || path.join(require('node:os').homedir(), '.cache'),
        'ec2-restore-orchestrator',
        'compile',
      ),
  );
  process.env.TSX_TSCONFIG_PATH ??= path.join(__dirname, '..', 'tsconfig.json');
  require('tsx/cjs/api').register();
  require('../cli/main.ts').run(process.argv);
});
