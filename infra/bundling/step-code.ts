/**
 * A step Lambda's code asset: the step bundled by `bundleSteps` (infra/lambda-bundling.ts), the
 * same function the bench measures, run locally during synth. No Docker: bundling that fails
 * fails the synth with esbuild's message instead of falling back to a container.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { AssetHashType, type BundlingOptions, DockerImage, type ILocalBundling } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';

const ROOT = join(__dirname, '..', '..');
const CLI = join(__dirname, 'bundle-step-cli.ts');

/**
 * Runs the bundling CLI in a child process: CDK's hook is synchronous and esbuild's synchronous
 * API takes no plugins. `step` is a property so that CDK's asset cache (keyed by the bundling
 * options' JSON) tells the steps apart.
 */
export class StepBundling implements ILocalBundling {
  constructor(readonly step: string) {}

  tryBundle(outputDir: string): boolean {
    const result = spawnSync(process.execPath, ['--import', 'tsx', CLI, this.step, outputDir], {
      cwd: ROOT,
      stdio: ['ignore', 'inherit', 'inherit'],
      // The parent's NODE_OPTIONS may load loaders (jest, tsx) twice; the CLI asks for tsx itself.
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    if (result.error) throw new Error(`Bundling ${this.step} could not start node: ${result.error.message}`);
    if (result.status !== 0) {
      throw new Error(
        `Bundling ${this.step} failed (exit ${result.status}); esbuild's message is above. Run \`npx tsx ${CLI} ${this.step} /tmp/out\` to reproduce.`,
      );
    }
    return true;
  }
}

export function stepCode(step: string): lambda.Code {
  const bundling: BundlingOptions = {
    local: new StepBundling(step),
    // Required by CDK; never used: local bundling either succeeds or throws.
    image: DockerImage.fromRegistry('public.ecr.aws/sam/build-nodejs22.x'),
  };
  // The hash of the bundle itself, as NodejsFunction did: a change to any file the step imports
  // (or to the SDK) deploys, and nothing else does.
  return lambda.Code.fromAsset(ROOT, { assetHashType: AssetHashType.OUTPUT, bundling });
}
