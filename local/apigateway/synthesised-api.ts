/**
 * The REST API's source: the synthesised orchestrator template (local/iam/synthesised-stack.ts,
 * which the IAM enforcement reads too). Re-exported here for the API and other readers.
 */
export {
  type CloudFormationTemplate,
  type SynthesisedTemplate,
  synthesiseOrchestratorTemplate,
} from '../iam/synthesised-stack';
