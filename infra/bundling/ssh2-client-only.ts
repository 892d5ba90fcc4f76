/**
 * An esbuild plugin that keeps ssh2's cold start to what an SSH client needs, without changing
 * what it does once connected. check-ssh (lambdas/check-ssh/ssh-handshake.ts) imports `Client`
 * from `ssh2`; the package's index also loads the server, key generation, HTTP agents, and the
 * client loads SFTP, the SSH agent and bcrypt-pbkdf (for passphrase-protected keys) at require
 * time. A Lambda that connects once with a private key runs none of them at init.
 *
 * - `ssh2` resolves to a module that exports only `Client` (`ssh2/lib/client.js`), loaded when
 *   `Client` is first read (the first handshake), not at INIT: the client and its protocol
 *   modules (key exchange, ciphers, the poly1305 WebAssembly it compiles at load) then cost the
 *   first SSH attempt instead of every cold start, including those that end before any SSH (a
 *   rejected event, a test-mode cleanup path). Importing anything else from `ssh2` fails the build
 *   instead of bundling the whole package.
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
import { readFileSync } from 'node:fs';
import type { Plugin } from 'esbuild';

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

/**
 * `Client` constructs the real ssh2 client, required on the first `new Client()`. ES-module
 * exports, so esbuild rejects an import of any other name.
 */
const CLIENT_ONLY_ENTRY = `
let loaded;
export const Client = new Proxy(function Client() {}, {
  construct: (_target, args) => new (loaded ??= require('ssh2/lib/client.js'))(...args),
});
`;

export const ssh2ClientOnly: Plugin = {
  name: 'ssh2-client-only',
  setup(build) {
    // Only the project's own `import … from 'ssh2'`; ssh2's files import each other relatively.
    build.onResolve({ filter: /^ssh2$/ }, ({ resolveDir }) => ({
      path: 'ssh2',
      namespace: 'ssh2-client-only',
      pluginData: { resolveDir },
    }));
    build.onLoad({ filter: /.*/, namespace: 'ssh2-client-only' }, ({ pluginData }) => ({
      contents: CLIENT_ONLY_ENTRY,
      loader: 'js',
      resolveDir: (pluginData as { resolveDir: string }).resolveDir,
    }));
    const files = new RegExp(REWRITES.map((r) => r.file.source).join('|'));
    build.onLoad({ filter: files }, ({ path }) => ({
      contents: rewriteSsh2(path, readFileSync(path, 'utf8')),
      loader: 'js',
    }));
  },
};
