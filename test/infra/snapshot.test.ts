import { Template } from 'aws-cdk-lib/assertions';
import { normalised, synthApp } from './synth';

// One normalised snapshot per stack of the example app: a change to any resource shows up in
// review. Update with `npx jest test/infra -u` after checking the diff.
describe('stack snapshots', () => {
  const { backup, orchestrator } = synthApp();

  it('backup stack', () => {
    expect(normalised(Template.fromStack(backup!))).toMatchSnapshot();
  });

  it('orchestrator stack', () => {
    expect(normalised(Template.fromStack(orchestrator))).toMatchSnapshot();
  });
});
