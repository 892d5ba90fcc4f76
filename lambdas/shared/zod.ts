/**
 * The zod every Lambda module validates with: zod v4's tree-shakable `zod/mini` API, with the
 * English messages that `import { z } from 'zod'` (classic) loads by itself.
 *
 * Why mini: each step bundle carried all of classic zod (96 KiB minified, every schema method
 * built at load), about a sixth of a step's cold init (`npm run bench -- --only bundles`,
 * bench/README.md "Bundles and cold init"). Mini bundles only the schemas and checks a step uses.
 *
 * Why the locale here: mini loads no locale, so every issue would read "Invalid input". Error
 * texts are part of the contract (the workflow's ValidationError, the CLI, the API's 400s), so
 * every module under lambdas/ imports zod from this module, never from 'zod' directly, and the
 * English messages are configured before any schema parses. The configuration is zod's global
 * one (zod/v4/core), the same classic sets, so classic code in the same process is unaffected.
 */
import { en } from 'zod/locales';
import { config } from 'zod/mini';

config(en());

// Re-exported name by name (not as one namespace object), so that a bundle keeps only what its
// step's schemas use: consumers `import * as z from '@shared/zod'` and esbuild resolves `z.string`
// to zod/mini's `string` export.
export * from 'zod/mini';
