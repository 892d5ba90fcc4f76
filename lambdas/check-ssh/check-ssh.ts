import type { EC2Client } from '@aws-sdk/client-ec2';
import { GetParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';
import {
  awsErrorCode,
  errorMessage,
  isAccessDenied,
  isTransientAwsError,
  SshAuthenticationError,
  SshUnreachableError,
  ValidationCheckError,
} from '@shared/errors';
import type { Logger } from '@shared/logger';
import { addSeconds, type Clock } from '@shared/time';
import {
  type CommandCheck,
  type ProbeIngressRecord,
  requireSlices,
  type SshState,
  type StateWith,
  type WorkflowState,
} from '@shared/workflow-state';
import { readConsoleFingerprints } from './console-fingerprints';
import { addProbeIngress, removeProbeIngress } from './probe-ingress';
import type { ProbeInvoker } from './probe-invoker';
import {
  type SshHandshake,
  type SshHandshakeOptions,
  type SshHandshakeResult,
  ssh2Handshake,
} from './ssh-handshake';

export interface CheckSshDeps {
  readonly ssm: SSMClient;
  /** GetConsoleOutput (host-key fingerprints) and the probe-ingress group. Absent: neither is done. */
  readonly ec2?: EC2Client;
  /** Invokes the in-VPC probe (lambdas/ssh-probe) when the plan's path is 'probe'. */
  readonly invokeProbe?: ProbeInvoker;
  readonly now: Clock;
  readonly logger: Logger;
  /**
   * Private keys already read in this invocation, by parameter: the in-call retries
   * (shared/in-call-wait.ts) then read SSM (and KMS) once, not once per attempt.
   */
  readonly keys?: Map<string, PrivateKey>;
  readonly connectTimeoutSeconds: number;
  readonly retrySeconds: number;
  /** One SSH attempt from here (path 'internet'); the real ssh2 handshake unless a test replaces it. */
  readonly handshake?: SshHandshake;
}

type CheckState = StateWith<'request' | 'plan' | 'instance'>;

/**
 * Step 11: prove the restored instance accepts SSH with its original key pair, from where the plan
 * says (plan.sshNetwork.path): the in-VPC probe at the private address, through the probe-ingress
 * group added for the check, or the internet at the public address. Called in a loop: each call
 * makes one attempt and returns `done: false` with the wait before the next until sshd answers with
 * the host key the instance printed on its console, the key or the host is rejected
 * (SshAuthenticationError, no retry: another try cannot change the answer), a check command fails
 * (ValidationCheckError) or the deadline passes (SshUnreachableError). A check that is already
 * done returns as it is, without an attempt: the state machine passes through CheckSsh again
 * while it waits for a profile association that settles after SSH was proven, and that proof stands.
 *
 * The host key: the handshake is trusted only when the offered key is one of the console's
 * fingerprints (docs/aws-facts.md I.4). Until the console shows them the attempts only learn
 * whether sshd answers; when the deadline comes without them, the key is recorded and the output
 * says it was not verified, and why.
 */
export async function checkSsh(state: WorkflowState, deps: CheckSshDeps): Promise<SshState> {
  if (state.ssh?.done) return state.ssh;
  const checked = requireSlices(state, 'request', 'plan', 'instance');
  const { ssh: options } = checked.request;
  const now = deps.now();
  const previous = state.ssh && !state.ssh.done ? state.ssh : null;
  const probe = checked.plan.sshNetwork?.path === 'probe' ? checked.plan.sshNetwork.probe : null;
  const base = {
    port: options.port,
    username: options.username,
    startedAt: previous?.startedAt ?? now.toISOString(),
    deadline: previous?.deadline ?? addSeconds(now, options.timeoutSeconds).toISOString(),
    attempts: previous?.attempts ?? 0,
    from: probe ? ('probe' as const) : ('internet' as const),
    probeFunction: probe?.functionName ?? null,
    checks: [] as CommandCheck[],
    securityGroups: previous?.securityGroups ?? null,
  };

  if (!options.enabled) {
    return {
      ...base,
      enabled: false,
      reachable: false,
      host: null,
      hostKeyFingerprint: null,
      hostKeyVerified: null,
      hostKeyVerification: null,
      lastError: null,
      readyAt: null,
      done: true,
      nextWaitSeconds: 0,
      securityGroups: null,
    };
  }

  const host = probe ? privateHost(checked) : chooseHost(checked);
  const key = await readPrivateKey(checked, deps);
  const instanceId = checked.instance.instanceId;
  // Every way out from here sets the instance's groups back first (recovery mode keeps the instance).
  let groups = base.securityGroups;
  const restoreGroups = async (): Promise<ProbeIngressRecord | null> => {
    if (!probe || !deps.ec2) return groups;
    groups = await removeProbeIngress(deps.ec2, instanceId, probe.ingressGroupId, groups);
    return groups;
  };
  const fail = async (error: Error): Promise<never> => {
    try {
      await restoreGroups();
    } catch (restoreError) {
      deps.logger.error('could not remove the SSH probe ingress group after a failed check', {
        instanceId,
        errorMessage: errorMessage(restoreError),
      });
    }
    throw error;
  };
  if (probe && deps.ec2 && !groups) {
    groups = await addProbeIngress(deps.ec2, instanceId, probe.ingressGroupId);
    deps.logger.info('added the SSH probe ingress group for the check', { instanceId, groups });
  }

  // The probe is named where it matters (logs, the unreachable message); messages keep this form.
  const target = `${options.username}@${host}:${options.port}`;
  const remainingBefore = Math.floor((Date.parse(base.deadline) - now.getTime()) / 1000);
  const console = await consoleFingerprints(deps, instanceId);
  const expected = console.fingerprints.length > 0 ? console.fingerprints : null;
  // A console this function may not read stays unread: waiting for the deadline would only
  // delay the same unverified answer by up to ssh.timeoutSeconds.
  const lastChance = remainingBefore <= deps.retrySeconds || console.denied;

  // sshd answered already and only the console is awaited: no need to connect again yet.
  if (!expected && !lastChance && previous?.reachable) {
    return {
      ...previous,
      ...base,
      securityGroups: groups,
      nextWaitSeconds: Math.max(1, Math.min(deps.retrySeconds, remainingBefore - deps.retrySeconds)),
    };
  }

  const request: SshHandshakeOptions = {
    host,
    port: options.port,
    username: options.username,
    privateKey: key.text,
    timeoutMs: deps.connectTimeoutSeconds * 1000,
    expectedFingerprints: expected,
    // Commands run only on a trusted session: verified, or the deadline's recorded fallback.
    commands: expected || lastChance ? options.commands : [],
    commandTimeoutMs: options.commandTimeoutSeconds * 1000,
  };
  const result = probe
    ? await attemptFromProbe(deps, probe.functionName, request)
    : await (deps.handshake ?? ssh2Handshake)(request);
  const attempts = base.attempts + 1;
  const attemptedAt = deps.now();
  const remainingSeconds = Math.floor((Date.parse(base.deadline) - attemptedAt.getTime()) / 1000);

  if (result.outcome === 'ready') {
    const verified = expected !== null;
    if (!verified && !lastChance) {
      deps.logger.info('sshd answered; waiting for the console to show the host key fingerprints', {
        target,
        attempts,
        hostKeyFingerprint: result.hostKeyFingerprint,
      });
      return {
        ...base,
        securityGroups: groups,
        enabled: true,
        reachable: true,
        host,
        attempts,
        hostKeyFingerprint: result.hostKeyFingerprint,
        hostKeyVerified: false,
        hostKeyVerification: `waiting for ${instanceId}'s console to show its SSH host key fingerprints (${console.note})`,
        lastError: 'sshd answered; waiting for the host key fingerprints on the console',
        readyAt: null,
        done: false,
        nextWaitSeconds: Math.max(1, Math.min(deps.retrySeconds, remainingSeconds)),
      };
    }
    const checks = [...result.checks];
    const failed = checks.find((c) => c.exitCode !== 0);
    if (failed) {
      const index = options.commands.indexOf(failed.command);
      const what = failed.timedOut
        ? `did not finish within ${options.commandTimeoutSeconds}s`
        : `exited with code ${failed.exitCode ?? 'unknown (no exit status)'}`;
      return fail(
        new ValidationCheckError(
          `ssh.commands[${index}] "${failed.command}" ${what} on ${instanceId} (${target})` +
            `${failed.output ? `; output: ${redact(failed.output, key.text).slice(0, 500)}` : ''}. ` +
            'SSH with the original key works, but the restored server failed this check: look at the service on the instance.',
        ),
      );
    }
    const hostKeyVerification = verified
      ? `the offered host key ${result.hostKeyFingerprint} is one of the fingerprints ${instanceId} printed on its console`
      : `not verified: ${console.note}${console.denied ? '' : ' within the SSH deadline'}, so the host key was recorded, not checked`;
    deps.logger.info('SSH authentication succeeded', {
      target,
      attempts,
      hostKeyFingerprint: result.hostKeyFingerprint,
      hostKeyVerified: verified,
      checks: checks.map((c) => ({ command: c.command, exitCode: c.exitCode })),
    });
    const restored = await restoreGroups();
    return {
      ...base,
      securityGroups: restored,
      enabled: true,
      reachable: true,
      host,
      attempts,
      hostKeyFingerprint: result.hostKeyFingerprint,
      hostKeyVerified: verified,
      hostKeyVerification,
      checks: checks.map((c) => ({ ...c, output: redact(c.output, key.text) })),
      lastError: null,
      readyAt: attemptedAt.toISOString(),
      done: true,
      nextWaitSeconds: 0,
    };
  }

  if (result.outcome === 'host-key-mismatch') {
    deps.logger.warn('SSH host key mismatch', { target, offered: result.hostKeyFingerprint, expected });
    return fail(
      new SshAuthenticationError(
        `${target} offered host key ${result.hostKeyFingerprint}, which is none of the fingerprints ` +
          `${instanceId} printed on its console (${(expected ?? []).join(', ')}): something other than the ` +
          'restored instance answered, so the private key was not offered to it. Check what else answers on ' +
          `${host} (an address reused, a proxy on the path), and the console (EC2 console → Get system log).`,
      ),
    );
  }

  const detail = redact(result.detail, key.text);
  if (result.outcome === 'bad-key') {
    return fail(
      new SshAuthenticationError(
        `The private key in SSM parameter ${key.parameter} (${key.describe}) cannot be used: ${detail}. ` +
          'It must be the unencrypted private key of the instance’s original key pair, in OpenSSH or PEM format.',
      ),
    );
  }
  if (result.outcome === 'auth-rejected') {
    deps.logger.warn('SSH key rejected', { target, attempts, hostKeyFingerprint: result.hostKeyFingerprint });
    return fail(
      new SshAuthenticationError(
        `${target} rejected the private key of ${key.describe} (from SSM parameter ${key.parameter}) for user ` +
          `"${options.username}": sshd answered, but public-key authentication failed. Check that ` +
          `"${options.username}" is the AMI's login user (ubuntu for Ubuntu AMIs, admin for Debian, ec2-user for ` +
          'Amazon Linux and RHEL) and that the parameter holds the private key of the key pair the source ' +
          'instance was launched with.',
      ),
    );
  }

  deps.logger.info('SSH not reachable yet', { target, attempts, lastError: detail, remainingSeconds });
  if (remainingSeconds <= 0) {
    return fail(
      new SshUnreachableError(
        `SSH to ${target}${probe ? ` (from ${probe.functionName})` : ''} did not succeed within ${options.timeoutSeconds}s (${attempts} attempt(s); last error: ${detail}). ` +
          (probe
            ? `The probe connects from inside ${probe.vpcId} through the probe-ingress security group ${probe.ingressGroupId}, ` +
              "which was added to the instance for the check and removed again: check the instance's network ACLs, that sshd listens on " +
              `${options.port}, and the instance's console (EC2 console → Get system log).`
            : `Check that the security group(s) ${checked.plan.securityGroupIds.join(', ') || '(none)'} allow TCP ${options.port} ` +
              `from where this workflow runs, that ${host} is routable from it (${routeHint(checked, host)}), ` +
              'and that sshd is running on the instance (EC2 console → Get system log).'),
      ),
    );
  }
  return {
    ...base,
    securityGroups: groups,
    enabled: true,
    reachable: false,
    host,
    attempts,
    hostKeyFingerprint: result.hostKeyFingerprint,
    hostKeyVerified: null,
    hostKeyVerification: null,
    lastError: detail,
    readyAt: null,
    done: false,
    nextWaitSeconds: Math.max(1, Math.min(deps.retrySeconds, remainingSeconds)),
  };
}

/**
 * What the console says so far, and a note for the output when it says nothing usable. `denied`:
 * IAM refused the read, which no later attempt of this check will change.
 */
async function consoleFingerprints(
  deps: CheckSshDeps,
  instanceId: string,
): Promise<{ fingerprints: string[]; note: string; denied: boolean }> {
  if (!deps.ec2) return { fingerprints: [], note: 'the console was not read', denied: false };
  try {
    const fingerprints = await readConsoleFingerprints(deps.ec2, instanceId);
    return {
      fingerprints,
      note: fingerprints.length
        ? 'fingerprints found'
        : 'no SSH HOST KEY FINGERPRINTS block appeared on the instance console',
      denied: false,
    };
  } catch (error) {
    if (isTransientAwsError(error)) throw error;
    return {
      fingerprints: [],
      note: `the console could not be read (${awsErrorCode(error) ?? 'error'}: ${errorMessage(error)}; grant ec2:GetConsoleOutput)`,
      denied: isAccessDenied(error),
    };
  }
}

/** One attempt made by the in-VPC probe; its failures to run at all are retried like a refused connection. */
async function attemptFromProbe(
  deps: CheckSshDeps,
  functionName: string,
  request: SshHandshakeOptions,
): Promise<SshHandshakeResult> {
  if (!deps.invokeProbe) {
    throw new TypeError('check-ssh planned an in-VPC probe but has no way to invoke it: a wiring bug');
  }
  return deps.invokeProbe(functionName, request);
}

function privateHost(state: CheckState): string {
  if (state.instance.privateIp) return state.instance.privateIp;
  throw new SshUnreachableError(
    `Instance ${state.instance.instanceId} has no private IPv4 address for the in-VPC SSH probe to connect to.`,
  );
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
