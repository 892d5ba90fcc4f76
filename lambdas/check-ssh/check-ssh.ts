import { GetParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';
import {
  awsErrorCode,
  errorMessage,
  isTransientAwsError,
  SshAuthenticationError,
  SshUnreachableError,
} from '@shared/errors';
import type { Logger } from '@shared/logger';
import { addSeconds, type Clock } from '@shared/time';
import { requireSlices, type SshState, type StateWith, type WorkflowState } from '@shared/workflow-state';
import { type SshHandshake, ssh2Handshake } from './ssh-handshake';

export interface CheckSshDeps {
  readonly ssm: SSMClient;
  readonly now: Clock;
  readonly logger: Logger;
  /**
   * Private keys already read in this invocation, by parameter: the in-call retries
   * (shared/in-call-wait.ts) then read SSM (and KMS) once, not once per attempt.
   */
  readonly keys?: Map<string, PrivateKey>;
  readonly connectTimeoutSeconds: number;
  readonly retrySeconds: number;
  /** One SSH attempt; the real ssh2 handshake unless a test replaces it. */
  readonly handshake?: SshHandshake;
}

type CheckState = StateWith<'request' | 'plan' | 'instance'>;

/**
 * Step 11: prove the restored instance accepts SSH with its original key pair. Called in a loop:
 * each call makes one attempt and returns `done: false` with the wait before the next until sshd
 * answers, the key is rejected (SshAuthenticationError, no retry: another try cannot change the
 * answer) or the deadline passes (SshUnreachableError). A check that is already done returns as it
 * is, without an attempt: the state machine passes through CheckSsh again while it waits for a
 * profile association that settles after SSH was proven, and that proof stands.
 */
export async function checkSsh(state: WorkflowState, deps: CheckSshDeps): Promise<SshState> {
  if (state.ssh?.done) return state.ssh;
  const checked = requireSlices(state, 'request', 'plan', 'instance');
  const { ssh: options } = checked.request;
  const now = deps.now();
  const previous = state.ssh && !state.ssh.done ? state.ssh : null;
  const base = {
    port: options.port,
    username: options.username,
    startedAt: previous?.startedAt ?? now.toISOString(),
    deadline: previous?.deadline ?? addSeconds(now, options.timeoutSeconds).toISOString(),
    attempts: previous?.attempts ?? 0,
  };

  if (!options.enabled) {
    return {
      ...base,
      enabled: false,
      reachable: false,
      host: null,
      hostKeyFingerprint: null,
      lastError: null,
      readyAt: null,
      done: true,
      nextWaitSeconds: 0,
    };
  }

  const host = chooseHost(checked);
  const key = await readPrivateKey(checked, deps);
  const handshake = deps.handshake ?? ssh2Handshake;
  const result = await handshake({
    host,
    port: options.port,
    username: options.username,
    privateKey: key.text,
    timeoutMs: deps.connectTimeoutSeconds * 1000,
  });
  const attempts = base.attempts + 1;
  const attemptedAt = deps.now();
  const target = `${options.username}@${host}:${options.port}`;

  if (result.outcome === 'ready') {
    deps.logger.info('SSH authentication succeeded', {
      target,
      attempts,
      hostKeyFingerprint: result.hostKeyFingerprint,
    });
    return {
      ...base,
      enabled: true,
      reachable: true,
      host,
      attempts,
      hostKeyFingerprint: result.hostKeyFingerprint,
      lastError: null,
      readyAt: attemptedAt.toISOString(),
      done: true,
      nextWaitSeconds: 0,
    };
  }

  const detail = redact(result.detail, key.text);
  if (result.outcome === 'bad-key') {
    throw new SshAuthenticationError(
      `The private key in SSM parameter ${key.parameter} (${key.describe}) cannot be used: ${detail}. ` +
        'It must be the unencrypted private key of the instance’s original key pair, in OpenSSH or PEM format.',
    );
  }
  if (result.outcome === 'auth-rejected') {
    deps.logger.warn('SSH key rejected', { target, attempts, hostKeyFingerprint: result.hostKeyFingerprint });
    throw new SshAuthenticationError(
      `${target} rejected the private key of ${key.describe} (from SSM parameter ${key.parameter}) for user ` +
        `"${options.username}": sshd answered, but public-key authentication failed. Check that ` +
        `"${options.username}" is the AMI's login user (ubuntu for Ubuntu AMIs, admin for Debian, ec2-user for ` +
        'Amazon Linux and RHEL) and that the parameter holds the private key of the key pair the source ' +
        'instance was launched with.',
    );
  }

  const remainingSeconds = Math.floor((Date.parse(base.deadline) - attemptedAt.getTime()) / 1000);
  deps.logger.info('SSH not reachable yet', { target, attempts, lastError: detail, remainingSeconds });
  if (remainingSeconds <= 0) {
    throw new SshUnreachableError(
      `SSH to ${target} did not succeed within ${options.timeoutSeconds}s (${attempts} attempt(s); last error: ${detail}). ` +
        `Check that the security group(s) ${checked.plan.securityGroupIds.join(', ') || '(none)'} allow TCP ${options.port} ` +
        `from where this workflow runs, that ${host} is routable from it (${routeHint(checked, host)}), ` +
        'and that sshd is running on the instance (EC2 console → Get system log).',
    );
  }
  return {
    ...base,
    enabled: true,
    reachable: false,
    host,
    attempts,
    hostKeyFingerprint: result.hostKeyFingerprint,
    lastError: detail,
    readyAt: null,
    done: false,
    nextWaitSeconds: Math.max(1, Math.min(deps.retrySeconds, remainingSeconds)),
  };
}

function publicAddressOf(state: CheckState): string | null {
  return state.address?.publicIp ?? state.instance.publicIp;
}

function chooseHost(state: CheckState): string {
  const { target } = state.request.ssh;
  const publicIp = publicAddressOf(state);
  const privateIp = state.instance.privateIp;
  if (target === 'public' || (target === 'auto' && publicIp)) {
    if (publicIp) return publicIp;
    const why = state.address ? ` (${state.address.reason})` : '';
    throw new SshUnreachableError(
      `ssh.target is "public" but instance ${state.instance.instanceId} has no public IPv4 address${why}. ` +
        'Rerun with publicIp "auto" or "always", or with ssh.target "private" from inside the VPC.',
    );
  }
  if (privateIp) return privateIp;
  throw new SshUnreachableError(
    `Instance ${state.instance.instanceId} has neither a public nor a private IPv4 address to connect to.`,
  );
}

function routeHint(state: CheckState, host: string): string {
  return host === publicAddressOf(state)
    ? `subnet ${state.plan.subnetId} needs a route to an internet gateway`
    : 'a private address is reachable only from inside the VPC or a peered network';
}

export interface PrivateKey {
  readonly text: string;
  readonly parameter: string;
  /** "key pair app-key (key-…)", for messages. */
  readonly describe: string;
}

async function readPrivateKey(state: CheckState, deps: CheckSshDeps): Promise<PrivateKey> {
  const { plan, request } = state;
  const describe = plan.keyName
    ? `key pair ${plan.keyName}${plan.keyPairId ? ` (${plan.keyPairId})` : ''}`
    : 'the configured key';
  // PlanRestore resolved the parameter, or failed its pre-flight check: SSH is never attempted without one.
  const parameter = request.ssh.privateKeyParameter ?? plan.privateKeyParameter;
  if (!parameter)
    throw new TypeError('check-ssh ran without plan.privateKeyParameter: a workflow wiring bug');
  const cached = deps.keys?.get(parameter);
  if (cached) return cached;

  let value: string | undefined;
  try {
    const result = await deps.ssm.send(new GetParameterCommand({ Name: parameter, WithDecryption: true }));
    value = result.Parameter?.Value;
  } catch (error) {
    if (isTransientAwsError(error)) throw error;
    throw new SshAuthenticationError(
      `Could not read the private key of ${describe} from SSM parameter ${parameter}: ` +
        `${awsErrorCode(error) ?? 'error'}: ${errorMessage(error)}. Check that the parameter exists and that this ` +
        'function may call ssm:GetParameter on it (and kms:Decrypt for a customer-managed key).',
      { cause: error },
    );
  }
  if (!value?.trim()) {
    throw new SshAuthenticationError(
      `SSM parameter ${parameter} is empty: it must hold the private key of ${describe}.`,
    );
  }
  // Keys generated or copied on Windows carry CRLF line ends, which the key parser rejects.
  const key = { text: value.replace(/\r\n/g, '\n'), parameter, describe };
  deps.keys?.set(parameter, key);
  return key;
}

/** Belt and braces: no line of the key may survive into a message, whatever a library put there. */
function redact(text: string, key: string): string {
  let result = text;
  for (const line of key.split('\n')) {
    const fragment = line.trim();
    if (fragment.length >= 8 && !fragment.startsWith('-----'))
      result = result.split(fragment).join('[redacted]');
  }
  return result;
}
