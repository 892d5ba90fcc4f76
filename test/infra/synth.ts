/**
 * Builds the app the way `npx cdk synth` does (infra/build-app.ts, the example context of
 * cdk.json, cdk-nag applied) but with bundling off, a fixed account and region, and nothing
 * read from the environment, so that tests are fast and templates are stable.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildApp } from '@infra/build-app';
import { App } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';

export const ENV = { account: '123456789012', region: 'us-east-1' };

/** The example context shipped in cdk.json. */
export const EXAMPLE_CONTEXT: Record<string, unknown> = JSON.parse(
  readFileSync(join(__dirname, '..', '..', 'cdk.json'), 'utf8'),
).context;

/** No stack is bundled: infra tests check templates, not esbuild output. */
export const NO_BUNDLING = { 'aws:cdk:bundling-stacks': [] };

export function synthApp(context: Record<string, unknown> = {}) {
  const app = new App({ context: { ...EXAMPLE_CONTEXT, ...context, ...NO_BUNDLING } });
  return { app, ...buildApp(app, ENV) };
}

export interface Statement {
  Effect: 'Allow' | 'Deny';
  Action: string | string[];
  Resource?: unknown;
  NotResource?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

/** Every statement of the inline policies attached to the role with this logical id. */
export function statementsOfRole(template: Template, roleLogicalId: string): Statement[] {
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((policy) =>
      (policy.Properties.Roles as { Ref: string }[]).some((role) => role.Ref === roleLogicalId),
    )
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[]);
}

export const actionsOf = (statement: Statement): string[] => [statement.Action].flat();

/**
 * The template with what changes for no reason scrubbed: asset hashes (they follow the Lambda
 * sources) and the API deployment's content hash in its logical id.
 */
export function normalised(template: Template): unknown {
  const text = JSON.stringify(template.toJSON(), null, 1)
    .replace(/[0-9a-f]{64}/g, '<asset-hash>')
    .replace(/(ApiDeployment[0-9A-F]{8})[0-9a-f]{32}/g, '$1<content-hash>');
  return JSON.parse(text);
}
