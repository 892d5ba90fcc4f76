/**
 * Builds the app the way `npx cdk synth` does (infra/build-app.ts, the example context and the
 * feature flags of cdk.json, cdk-nag applied) but with bundling off, a fixed account and region,
 * and nothing read from the environment, so that tests are fast and templates are stable.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildApp } from '@infra/build-app';
import { featureFlags, isFeatureFlag } from '@infra/feature-flags';
import { App, type Environment } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';

export const ENV = { account: '123456789012', region: 'us-east-1' };

/** The example context shipped in cdk.json: this app's own keys, without the feature flags. */
export const EXAMPLE_CONTEXT: Record<string, unknown> = Object.fromEntries(
  Object.entries(cdkJsonContext()).filter(([key]) => !isFeatureFlag(key)),
);

/** The CDK feature flags of cdk.json, which the CLI passes to `npx cdk synth` too. */
export const FEATURE_FLAGS = featureFlags();

function cdkJsonContext(): Record<string, unknown> {
  return JSON.parse(readFileSync(join(__dirname, '..', '..', 'cdk.json'), 'utf8')).context;
}

/** No stack is bundled: infra tests check templates, not esbuild output. */
export const NO_BUNDLING = { 'aws:cdk:bundling-stacks': [] };

/** `env` `{}` builds env-agnostic stacks, as an offline `npx cdk synth` (no credentials) does. */
export function synthApp(context: Record<string, unknown> = {}, env: Environment = ENV) {
  const app = new App({ context: { ...FEATURE_FLAGS, ...EXAMPLE_CONTEXT, ...context, ...NO_BUNDLING } });
  return { app, ...buildApp(app, env) };
}

/** An empty app with cdk.json's feature flags, for constructs tested on their own. */
export const flaggedApp = () => new App({ context: FEATURE_FLAGS });

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

/** One action on one resource (or on all but some) of a role's policies, with its condition. */
export interface Grant {
  Effect: Statement['Effect'];
  Action: string;
  Resource?: unknown;
  NotResource?: unknown;
  Condition?: Statement['Condition'];
}

/**
 * What the role with this logical id may (and may not) do, one grant per action and resource,
 * sorted by action, so that a test checks permissions rather than how CDK groups them into
 * statements (it merges statements with the same resources or the same actions:
 * @aws-cdk/aws-iam:minimizePolicies).
 */
export function grantsOfRole(template: Template, roleLogicalId: string): Grant[] {
  const grants = statementsOfRole(template, roleLogicalId).flatMap((statement): Grant[] => {
    const { Effect, Resource, NotResource, Condition } = statement;
    const scope: Partial<Grant> = Condition === undefined ? {} : { Condition };
    return actionsOf(statement).flatMap((Action): Grant[] =>
      Resource === undefined
        ? [{ Effect, Action, NotResource, ...scope }]
        : [Resource].flat().map((resource) => ({ Effect, Action, Resource: resource, ...scope })),
    );
  });
  const key = (grant: Grant) => `${grant.Action} ${JSON.stringify(grant.Resource ?? grant.NotResource)}`;
  return grants.sort((a, b) => key(a).localeCompare(key(b)));
}

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
