/**
 * `tsx infra/bundling/bundle-step-cli.ts <step> <outdir>`: bundles one step Lambda as deployed
 * into `<outdir>/index.js`. CDK's local bundling hook is synchronous and esbuild's synchronous
 * API takes no plugins, so infra/bundling/step-code.ts runs this in a child process.
 */
import { existsSync } from 'node:fs';
import { bundleSteps, stepEntry } from '../lambda-bundling';

async function main(argv: readonly string[]): Promise<void> {
  const [step, outdir] = argv;
  if (!step || !outdir || argv.length !== 2) {
    throw new Error(
      'usage: bundle-step-cli.ts <step> <outdir> (a folder under lambdas/ and where index.js goes)',
    );
  }
  if (!existsSync(stepEntry(step))) {
    throw new Error(`No step "${step}": ${stepEntry(step)} does not exist`);
  }
  await bundleSteps({ steps: [step], outdir, flat: true });
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`bundle-step: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
