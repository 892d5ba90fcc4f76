/**
 * The orchestrator stack's rules and schedules, synthesised once per process and region/account
 * (synthesis takes seconds): emulators started one after another in a test file share it. The
 * synthesis (aws-cdk-lib) is loaded only when no template is given.
 */
import type { CloudFormationTemplate } from '@local/apigateway/synthesised-api';
import { type EmulatorResources, readStackEvents, type StackEvents } from './stack-events';

export { EmulatedEvents } from './emulated-events';

const templates = new Map<string, CloudFormationTemplate>();

/** `given`: a template synthesised elsewhere (`npx cdk synth` with other context), read instead. */
export function loadStackEvents(resources: EmulatorResources, given?: CloudFormationTemplate): StackEvents {
  if (given) return readStackEvents(given, resources);
  const key = `${resources.accountId}/${resources.region}`;
  let template = templates.get(key);
  if (!template) {
    const { synthesiseOrchestratorTemplate } =
      require('@local/apigateway/synthesised-api') as typeof import('@local/apigateway/synthesised-api');
    template = synthesiseOrchestratorTemplate({
      account: resources.accountId,
      region: resources.region,
    }).template;
    templates.set(key, template);
  }
  return readStackEvents(template, resources);
}
