/**
 * An esbuild plugin that lets esbuild drop the AWS SDK shapes a Lambda never uses.
 *
 * Each SDK client's schema module (`dist-es/schemas/schemas_0.js`: every shape of the service, the
 * EC2 one 549 KiB) keys its objects by module constants (`{ [_xN]: … }`). esbuild keeps a literal
 * with such a computed key even when nothing uses it (converting the key could have side effects,
 * and it does not inline the constants of a module that imports), so every shape stays in the
 * bundle and is evaluated at every cold start. Writing each constant's string into the keys
 * (`{ ["xmlName"]: … }`) makes the literals side-effect free, so the unused ones go.
 *
 * Only `[_name]:` keys whose constant is a plain string literal are rewritten; anything else is
 * left as it was (kept, never changed). test/infra/lambda-bundling.test.ts checks that the EC2
 * calls the steps make serialise and parse the same with and without the plugin.
 */
import { readFileSync } from 'node:fs';
import type { Plugin } from 'esbuild';

/** The schema modules of the SDK clients, ES-module builds (what `mainFields: module` picks). */
export const SDK_SCHEMA_MODULE = /@aws-sdk[\\/]client-[^\\/]+[\\/]dist-es[\\/]schemas[\\/]schemas_0\.js$/;

/** `const _xN = "xmlName";` at the top level of a schema module. */
const STRING_CONSTANT = /^const (_\w+) = ("[^"\\\n]*");$/gm;
/** A computed key naming a module constant: `[_xN]:`. */
const CONSTANT_KEY = /\[(_\w+)\]:/g;

/** The schema module's source with every computed key whose constant is a string written out. */
export function inlineSchemaKeys(source: string): string {
  const constants = new Map([...source.matchAll(STRING_CONSTANT)].map((m) => [m[1], m[2]] as const));
  return source.replace(CONSTANT_KEY, (all, id: string) => {
    const value = constants.get(id);
    return value === undefined ? all : `[${value}]:`;
  });
}

export const inlineSdkSchemaKeys: Plugin = {
  name: 'inline-sdk-schema-keys',
  setup(build) {
    build.onLoad({ filter: SDK_SCHEMA_MODULE }, ({ path }) => ({
      contents: inlineSchemaKeys(readFileSync(path, 'utf8')),
      loader: 'js',
    }));
  },
};
