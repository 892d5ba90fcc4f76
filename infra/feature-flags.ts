/**
 * The CDK feature flags this app is built with: the flag keys of cdk.json's context, which
 * `npx cdk synth|deploy` passes to the app. Code that builds the app in process (the infra tests)
 * applies them from here, so it synthesises the templates the CLI does, and cdk.json stays the
 * only list of them (infra/README.md says which are set and why).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const CDK_JSON = join(__dirname, '..', 'cdk.json');

/**
 * A CDK feature flag rather than one of this app's context keys: `@aws-cdk/…`,
 * `@aws-cdk-containers/…` or `aws-cdk-lib/…`, all of the form `module:flag`.
 */
export function isFeatureFlag(key: string): boolean {
  return /^(@aws-cdk[a-z-]*|aws-cdk-lib)\/[^:]+:/.test(key);
}

/** cdk.json's feature flags, as `new App({ context })` takes them. */
export function featureFlags(): Record<string, unknown> {
  const { context = {} } = JSON.parse(readFileSync(CDK_JSON, 'utf8')) as {
    context?: Record<string, unknown>;
  };
  return Object.fromEntries(Object.entries(context).filter(([key]) => isFeatureFlag(key)));
}
