/** Step Functions ARNs: telling an execution ARN from a name, and where an ARN lives. */

const STATE_MACHINE_ARN =
  /^arn:(aws[a-z-]*):states:([a-z0-9-]+):(\d{12}):stateMachine:([A-Za-z0-9_-]{1,80})$/;
const EXECUTION_ARN =
  /^arn:(aws[a-z-]*):states:([a-z0-9-]+):(\d{12}):execution:([A-Za-z0-9_-]{1,80}):(.{1,80})$/;
/** What Step Functions accepts in a name, minus the characters that need quoting in a shell. */
export const EXECUTION_NAME = /^[A-Za-z0-9_-]{1,80}$/;

export function isStateMachineArn(text: string): boolean {
  return STATE_MACHINE_ARN.test(text);
}

export function isExecutionArn(text: string): boolean {
  return EXECUTION_ARN.test(text);
}

/** The Region an ARN names, if it is a Step Functions ARN. */
export function regionOfArn(arn: string | undefined): string | undefined {
  if (!arn) return undefined;
  return (STATE_MACHINE_ARN.exec(arn) ?? EXECUTION_ARN.exec(arn))?.[2];
}

/** `…:stateMachine:restore-instance` + `name` → `…:execution:restore-instance:name`. */
export function executionArnFor(stateMachineArn: string, name: string): string {
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
}

export function executionName(executionArn: string): string {
  return EXECUTION_ARN.exec(executionArn)?.[5] ?? executionArn;
}

const CONSOLE_DOMAINS: Readonly<Record<string, string>> = {
  aws: 'console.aws.amazon.com',
  'aws-cn': 'console.amazonaws.cn',
  'aws-us-gov': 'console.amazonaws-us-gov.com',
};

/** The execution's page in the AWS console (the graph, every event, input and output). */
export function consoleUrl(executionArn: string): string | null {
  const match = EXECUTION_ARN.exec(executionArn);
  const domain = match?.[1] ? CONSOLE_DOMAINS[match[1]] : undefined;
  if (!match || !domain) return null;
  const region = match[2];
  return `https://${region}.${domain}/states/home?region=${region}#/v2/executions/details/${executionArn}`;
}
