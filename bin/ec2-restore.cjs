#!/usr/bin/env node
// The package's `bin`: runs the TypeScript CLI through tsx, so no build step is needed.
require('tsx/cjs');
require('../cli/main.ts');
