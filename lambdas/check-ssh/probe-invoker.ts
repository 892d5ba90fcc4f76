/**
 * check-ssh's side of the in-VPC probe: a synchronous Lambda Invoke (RequestResponse) with the
 * attempt, private key included, in the payload. The key travels only in this API call, never in
 * the state machine's state or history (docs/aws-facts.md I.1: task inputs are recorded there),
 * and the probe function needs no route to SSM or KMS.
 */
import { InvokeCommand, type InvokeCommandOutput, type LambdaClient } from '@aws-sdk/client-lambda';
import { awsErrorCode, errorMessage, isTransientAwsError, SshUnreachableError } from '@shared/errors';
import { SshProbeResultSchema } from '@shared/ssh-probe-payload';
import type { SshHandshakeOptions, SshHandshakeResult } from './ssh-handshake';

export type ProbeInvoker = (
  functionName: string,
  request: SshHandshakeOptions,
) => Promise<SshHandshakeResult>;

/** Lambda's own 502s while a VPC function's network interface is being set up or reclaimed (I.1). */
const NOT_READY = new Set([
  'ResourceNotReadyException',
  'ENILimitReachedException',
  'SubnetIPAddressLimitReachedException',
  'EC2ThrottledException',
]);

export function lambdaProbeInvoker(lambda: LambdaClient): ProbeInvoker {
  return async (functionName, request) => {
    let response: InvokeCommandOutput;
    try {
      response = await lambda.send(
        new InvokeCommand({
          FunctionName: functionName,
          InvocationType: 'RequestResponse',
          Payload: Buffer.from(JSON.stringify(request)),
        }),
      );
    } catch (error) {
      const code = awsErrorCode(error) ?? 'error';
      if (NOT_READY.has(code)) {
        return {
          outcome: 'retryable',
          hostKeyFingerprint: null,
          detail: `probe ${functionName} not ready (${code})`,
        };
      }
      if (isTransientAwsError(error)) throw error;
      throw new SshUnreachableError(
        `The in-VPC SSH probe ${functionName} could not be invoked: ${code}: ${errorMessage(error)}. ` +
          'Check that the stack deployed it (infra context sshProbeNetworks) and that check-ssh may call lambda:InvokeFunction on it.',
        { cause: error },
      );
    }
    const text = response.Payload ? Buffer.from(response.Payload).toString('utf8') : '';
    if (response.FunctionError) {
      // The probe's error report holds its message, never the payload: it logs and echoes neither.
      return {
        outcome: 'retryable',
        hostKeyFingerprint: null,
        detail: `probe ${functionName} failed (${response.FunctionError}): ${text.slice(0, 200)}`,
      };
    }
    const parsed = SshProbeResultSchema.safeParse(safeJson(text));
    if (!parsed.success) {
      return {
        outcome: 'retryable',
        hostKeyFingerprint: null,
        detail: `probe ${functionName} gave no usable answer`,
      };
    }
    return parsed.data as SshHandshakeResult;
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
