/**
 * The orchestrator stack's CloudFormation template, synthesised in memory the way `npx cdk synth`
 * builds it (infra/build-app.ts, cdk.json's context and feature flags, cdk-nag) but with asset
 * bundling off and without the backup stack, so the emulator serves the REST API that deploys,
 * not a copy of it. The one place local/ reaches into infra/ (.dependency-cruiser.cjs allows
 * this file only); it is loaded lazily, so `npm start` never pays for it.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp } from '@infra/build-app';
import { App } from 'aws-cdk-lib';

export interface CloudFormationTemplate {
  readonly Resources: Readonly<
    Record<string, { readonly Type: string; readonly Properties?: Record<string, unknown> }>
  >;
  readonly Outputs?: Readonly<Record<string, { readonly Value: unknown }>>;
}

export interface SynthesisedTemplate {
  readonly template: CloudFormationTemplate;
  /** Wall time of the synthesis, for the log. */
  readonly milliseconds: number;
}

const CDK_JSON = join(__dirname, '..', '..', 'cdk.json');

export function synthesiseOrchestratorTemplate(env: {
  account: string;
  region: string;
}): SynthesisedTemplate {
  const started = performance.now();
  const { context = {} } = JSON.parse(readFileSync(CDK_JSON, 'utf8')) as {
    context?: Record<string, unknown>;
  };
  const outdir = mkdtempSync(join(tmpdir(), 'ec2-restore-api-synth-'));
  try {
    const app = new App({
      outdir,
      context: {
        ...context,
        deployApi: true,
        deployBackupStack: false,
        // No Lambda is bundled: only the API's resources are read (test/infra/synth.ts does the same).
        'aws:cdk:bundling-stacks': [],
      },
    });
    const { orchestrator } = buildApp(app, env);
    const template = app.synth().getStackByName(orchestrator.stackName).template as CloudFormationTemplate;
    return { template, milliseconds: performance.now() - started };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}
