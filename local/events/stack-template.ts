/**
 * The orchestrator stack's rules and schedules, synthesised once per process and region/account
 * (synthesis takes seconds): emulators started one after another in a test file share it.
 */
import { synthesiseOrchestratorTemplate } from '@local/apigateway/synthesised-api';
import { type EmulatorResources, readStackEvents, type StackEvents } from './stack-events';

export { EmulatedEvents } from './emulated-events';

const templates = new Map<string, ReturnType<typeof synthesiseOrchestratorTemplate>['template']>();

export function loadStackEvents(resources: EmulatorResources): StackEvents {
  const key = `${resources.accountId}/${resources.region}`;
  let template = templates.get(key);
  if (!template) {
    template = synthesiseOrchestratorTemplate({
      account: resources.accountId,
      region: resources.region,
    }).template;
    templates.set(key, template);
  }
  return readStackEvents(template, resources);
}
