/**
 * The SSH host-key fingerprints a restored instance prints on its console at first boot
 * (cloud-init's `-----BEGIN SSH HOST KEY FINGERPRINTS-----` block, docs/aws-facts.md I.4): the one
 * record of its host key that does not travel over the network the handshake does.
 */
import { type EC2Client, GetConsoleOutputCommand } from '@aws-sdk/client-ec2';
import { awsErrorCode } from '@shared/errors';

const BEGIN = '-----BEGIN SSH HOST KEY FINGERPRINTS-----';
const END = '-----END SSH HOST KEY FINGERPRINTS-----';
/** OpenSSH's SHA-256 form: 43 base64 characters, no padding. Old MD5 hex lines are ignored. */
const FINGERPRINT = /SHA256:[A-Za-z0-9+/]{43}/g;

/**
 * The fingerprints inside the block, whatever syslog prefix each line carries; empty when there
 * is no block yet. A block cut short (console reset, 64 KB limit) yields what it holds: a key it
 * lost is then reported as a mismatch, never silently accepted.
 */
export function parseHostKeyFingerprints(consoleText: string): string[] {
  const start = consoleText.lastIndexOf(BEGIN);
  if (start < 0) return [];
  const rest = consoleText.slice(start + BEGIN.length);
  const end = rest.indexOf(END);
  const block = end < 0 ? rest : rest.slice(0, end);
  return [...new Set(block.match(FINGERPRINT) ?? [])];
}

/**
 * The instance's console fingerprints, or an empty list while nothing has been posted (Output is
 * absent then). `Latest` asks Nitro instances for the current output; an instance type that does
 * not support it is asked again for the buffered output.
 */
export async function readConsoleFingerprints(ec2: EC2Client, instanceId: string): Promise<string[]> {
  let output: string | undefined;
  try {
    output = (await ec2.send(new GetConsoleOutputCommand({ InstanceId: instanceId, Latest: true })))?.Output;
  } catch (error) {
    const code = awsErrorCode(error) ?? '';
    if (!/Unsupported|InvalidParameter/.test(code)) throw error;
    output = (await ec2.send(new GetConsoleOutputCommand({ InstanceId: instanceId })))?.Output;
  }
  if (!output) return [];
  return parseHostKeyFingerprints(Buffer.from(output, 'base64').toString('utf8'));
}
