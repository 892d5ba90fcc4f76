/**
 * An esbuild plugin that keeps ssh2's cold start to what an SSH client needs, without changing
 * what it does once connected. check-ssh (lambdas/check-ssh/ssh-handshake.ts) imports `Client`
 * from `ssh2`; the package's index also loads the server, key generation, HTTP agents, and the
 * client loads SFTP, the SSH agent and bcrypt-pbkdf (for passphrase-protected keys) at require
 * time. A Lambda that connects once with a private key runs none of them at init.
 *
 * - `ssh2` resolves to a module that exports only `Client` (`ssh2/lib/client.js`), loaded when
 *   `Client` is first constructed (the first handshake), not at INIT: the client and its protocol
 *   modules (key exchange, ciphers, the poly1305 WebAssembly it compiles at load) then cost the
 *   first SSH attempt instead of every cold start, including those that end before any SSH (a
 *   rejected event, a test-mode cleanup path). Importing anything else from `ssh2` fails the build
 *   instead of bundling the whole package.
 * - That client is a file of its own, `ssh2-client.js`, written next to each bundle that uses it
 *   (the Lambda asset holds both): Node parses a bundle whole at require time, so 240 KiB of ssh2
 *   inside index.js cost every INIT about a third of check-ssh's cold start even unevaluated.
 * - SFTP, the agent and bcrypt-pbkdf are required where they are used instead of at the top of
 *   the module: still bundled, evaluated only by a client that opens SFTP, uses an agent or
 *   decrypts a key.
 * - `cpu-features` is not bundled: its native addon (`*.node`) is external and never in the
 *   Lambda zip, so ssh2's `try { require('cpu-features')() } catch {}` falls back to its defaults
 *   either way; this only saves the failed lookup.
 *
 * Each rewrite names the exact text it replaces and the build fails if ssh2 changes it (ssh2 is
 * pinned by package-lock.json): a silent no-op would bring the cost back unnoticed.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { type BuildOptions, build as esbuild, type Plugin } from 'esbuild';

interface Rewrite {
  readonly file: RegExp;
  readonly from: string;
  readonly to: string;
}

const REWRITES: readonly Rewrite[] = [
  {
    file: /[\\/]ssh2[\\/]lib[\\/]client\.js$/,
    from: "const { SFTP } = require('./protocol/SFTP.js');",
    to: "const SFTP = function SFTP(...args) { return new (require('./protocol/SFTP.js').SFTP)(...args); };",
  },
  {
    file: /[\\/]ssh2[\\/]lib[\\/]client\.js$/,
    from: "const { AgentContext, createAgent, isAgent } = require('./agent.js');",
    to: [
      "const AgentContext = function AgentContext(...args) { return new (require('./agent.js').AgentContext)(...args); };",
      "const createAgent = (...args) => require('./agent.js').createAgent(...args);",
      "const isAgent = (...args) => require('./agent.js').isAgent(...args);",
    ].join(' '),
  },
  {
    file: /[\\/]ssh2[\\/]lib[\\/]protocol[\\/]keyParser\.js$/,
    from: "const bcrypt_pbkdf = require('bcrypt-pbkdf').pbkdf;",
    to: "const bcrypt_pbkdf = (...args) => require('bcrypt-pbkdf').pbkdf(...args);",
  },
  {
    file: /[\\/]ssh2[\\/]lib[\\/]protocol[\\/]constants\.js$/,
    from: "cpuInfo = require('cpu-features')();",
    to: "throw new Error('cpu-features is not bundled: its native addon is never in the Lambda zip');",
  },
];

/** Applies the rewrites for this file; throws when one no longer matches ssh2's source. */
export function rewriteSsh2(path: string, source: string): string {
  let contents = source;
  for (const rewrite of REWRITES.filter((r) => r.file.test(path))) {
    if (!contents.includes(rewrite.from)) {
      throw new Error(
        `ssh2-client-only: ${path} no longer contains \`${rewrite.from}\` (ssh2 changed?): update infra/bundling/ssh2-client-only.ts`,
      );
    }
    contents = contents.replace(rewrite.from, rewrite.to);
  }
  return contents;
}

/** The file beside the bundle that holds ssh2's client. */
export const SSH2_CLIENT_FILE = 'ssh2-client.js';

/**
 * `Client` constructs the real ssh2 client, required from its own file on the first `new Client()`.
 * ES-module exports, so esbuild rejects an import of any other name.
 */
const CLIENT_ONLY_ENTRY = `
let loaded;
export const Client = new Proxy(function Client() {}, {
  construct: (_target, args) => new (loaded ??= require('./${SSH2_CLIENT_FILE}'))(...args),
});
`;

const REWRITTEN_FILES = new RegExp(REWRITES.map((r) => r.file.source).join('|'));

/** ssh2's rewritten sources, for both builds. */
const rewriteSsh2Sources: Plugin = {
  name: 'ssh2-rewrites',
  setup(build) {
    build.onLoad({ filter: REWRITTEN_FILES }, ({ path }) => ({
      contents: rewriteSsh2(path, readFileSync(path, 'utf8')),
      loader: 'js',
    }));
  },
};

/** `ssh2/lib/client.js` (module.exports = Client) bundled with the same target and minification. */
async function bundleSsh2Client(options: BuildOptions): Promise<Uint8Array> {
  const result = await esbuild({
    entryPoints: [require.resolve('ssh2/lib/client.js')],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: options.target,
    minify: options.minify,
    external: ['*.node'],
    plugins: [rewriteSsh2Sources],
    write: false,
    logLevel: 'warning',
  });
  const [output] = result.outputFiles;
  if (!output) throw new Error('ssh2-client-only: bundling ssh2/lib/client.js produced no output');
  return output.contents;
}

export const ssh2ClientOnly: Plugin = {
  name: 'ssh2-client-only',
  setup(build) {
    // The metafile says which outputs hold the entry, i.e. where the client file must go.
    build.initialOptions.metafile = true;
    // Only the project's own `import … from 'ssh2'`; ssh2's files import each other relatively.
    build.onResolve({ filter: /^ssh2$/ }, ({ resolveDir }) => ({
      path: 'ssh2',
      namespace: 'ssh2-client-only',
      pluginData: { resolveDir },
    }));
    build.onResolve({ filter: /^\.\/ssh2-client\.js$/, namespace: 'ssh2-client-only' }, ({ path }) => ({
      path,
      external: true,
    }));
    build.onLoad({ filter: /.*/, namespace: 'ssh2-client-only' }, ({ pluginData }) => ({
      contents: CLIENT_ONLY_ENTRY,
      loader: 'js',
      resolveDir: (pluginData as { resolveDir: string }).resolveDir,
    }));
    rewriteSsh2Sources.setup(build);
    build.onEnd(async (result) => {
      if (result.errors.length > 0 || !result.metafile || build.initialOptions.write === false) return;
      const cwd = build.initialOptions.absWorkingDir ?? process.cwd();
      const dirs = new Set(
        Object.entries(result.metafile.outputs)
          .filter(([, output]) =>
            Object.keys(output.inputs).some((input) => input.startsWith('ssh2-client-only:')),
          )
          .map(([file]) => dirname(resolve(cwd, file))),
      );
      if (dirs.size === 0) return;
      const client = await bundleSsh2Client(build.initialOptions);
      for (const dir of dirs) writeFileSync(join(dir, SSH2_CLIENT_FILE), client);
    });
  },
};
