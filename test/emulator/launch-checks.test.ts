/**
 * RunInstances' launch checks a restore goes through (local/world/launch-checks.ts): each refuses
 * what AWS refuses, and real types and options pass.
 */
import { checkLaunchParameters } from '@local/world/launch-checks';

const subnet = {
  id: 'subnet-0de00000000000001',
  vpcId: 'vpc-0de00000000000001',
  cidrBlock: '127.20.1.0/24',
  availabilityZone: 'us-east-1a',
  mapPublicIpOnLaunch: true,
  tags: new Map(),
};
const groups = (n: number) => Array.from({ length: n }, (_, i) => `sg-0de0000000000000${i}`);
const launch =
  (instanceType: string, metadata: Record<string, string> = {}, groupIds = groups(1)) =>
  () =>
    checkLaunchParameters({ instanceType, subnet, groupIds, metadata });

it.each(['t3.micro', 'm5.large', 'c7gn.16xlarge', 'u-6tb1.metal', 'm7i.metal-24xl', 'x2iedn.xlarge'])(
  'passes the real type %s',
  (type) => {
    expect(launch(type)).not.toThrow();
  },
);

it.each([
  [launch('t3.bogus'), "Invalid value 't3.bogus' for InstanceType. (InvalidParameterValue)"],
  [launch('large'), "Invalid value 'large' for InstanceType. (InvalidParameterValue)"],
  [launch('t3.micro', {}, groups(6)), '(SecurityGroupsPerInterfaceLimitExceeded)'],
  [
    launch('m5.large', { CreditSpecification: '{"CpuCredits":"standard"}' }),
    'The m5.large instance type does not support T2 Unlimited. (InstanceCreditSpecification.NotSupported)',
  ],
  [launch('m5.large', { CpuOptions: '{"CoreCount":64,"ThreadsPerCore":2}' }), 'CoreCount 64'],
  [launch('m5.large', { CpuOptions: '{"CoreCount":1,"ThreadsPerCore":7}' }), 'ThreadsPerCore must be 1 or 2'],
  [
    launch('t3.micro', { Placement: '{"AvailabilityZone":"us-east-1b"}' }),
    "Subnet 'subnet-0de00000000000001' is in the availability zone us-east-1a (InvalidParameterValue)",
  ],
])('refuses what RunInstances refuses (%#)', (attempt, message) => {
  expect(attempt).toThrow(message);
});

it('passes the options a backed-up t3 records, five groups and its own zone', () => {
  expect(
    launch(
      't3.micro',
      {
        CpuOptions: '{"CoreCount":1,"ThreadsPerCore":2}',
        CreditSpecification: '{"CpuCredits":"unlimited"}',
        Placement: '{"AvailabilityZone":"us-east-1a","Tenancy":"default"}',
      },
      groups(5),
    ),
  ).not.toThrow();
});
