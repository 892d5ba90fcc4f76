import { CONTEXT_KEYS } from '@infra/app-context';
import { featureFlags, isFeatureFlag } from '@infra/feature-flags';
import { CURRENTLY_RECOMMENDED_FLAGS } from 'aws-cdk-lib/cx-api';
import { EXAMPLE_CONTEXT } from './synth';

describe('feature flags', () => {
  // What `cdk init` writes for this aws-cdk-lib. After an upgrade this names the new flags: add
  // them to cdk.json after checking the snapshot diff (infra/README.md, "Feature flags").
  it('sets every flag this aws-cdk-lib recommends, at its recommended value', () => {
    expect(featureFlags()).toEqual(CURRENTLY_RECOMMENDED_FLAGS);
  });

  it("tells the flags from this app's own context keys", () => {
    expect(Object.keys(CURRENTLY_RECOMMENDED_FLAGS).filter((key) => !isFeatureFlag(key))).toEqual([]);
    expect(CONTEXT_KEYS.filter(isFeatureFlag)).toEqual([]);
    // cdk.json's context splits into the flags and the example of this app's keys, nothing left over.
    expect(Object.keys(EXAMPLE_CONTEXT).filter((key) => !(CONTEXT_KEYS as string[]).includes(key))).toEqual(
      [],
    );
  });
});
