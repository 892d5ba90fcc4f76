#!/usr/bin/env node
// The package's `bin`: runs the TypeScript CLI through tsx, so no build step is needed. The
// project's tsconfig (path aliases) applies whatever the caller's working directory is.
const path = require('node:path');

// On a Node older than the project supports, this runs again under a supported one (fetched once).
require('../scripts/supported-node.cjs').onSupportedNode(() => {
  process.env.TSX_TSCONFIG_PATH ??= path.join(__dirname, '..', 'tsconfig.json');
  require('tsx/cjs/api').register();
  require('../cli/main.ts').run(process.argv);
});
