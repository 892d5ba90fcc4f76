import { ArnFormat, Fn, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import type { RestoreApi } from './restore-api';

export interface OperatorPoliciesProps {
  readonly stateMachine: sfn.IStateMachine;
  readonly fleetStateMachine: sfn.IStateMachine;
  /** The key that encrypts the state machines' executions, if any. */
  readonly encryptionKey?: kms.IKey;
  /** The REST API, if deployed: `--via-api` calls it with the same policies. */
  readonly api?: RestoreApi;
}

/**
 * The permissions of the people who run the CLI (README, Runbook), as customer-managed policies to
 * attach to their users, groups or roles: `…Operator` may start restores and fleets and follow
 * them (`start`, `watch`, `status`, `list`, `recovery-points`, `fleet`, `report`, and `start` /
 * `status --via-api` through the REST API); `…Viewer` may only follow them. Neither may stop an
 * execution or touch EC2, IAM or Parameter Store: a restore runs under the workflow's own roles,
 * never the caller's.
 */
export class OperatorPolicies extends Construct {
  readonly operator: iam.ManagedPolicy;
  readonly viewer: iam.ManagedPolicy;

  constructor(scope: Construct, id: string, props: OperatorPoliciesProps) {
    super(scope, id);
    const machines = [props.stateMachine, props.fleetStateMachine];
    const stack = Stack.of(this);
    // arn:…:execution:<state machine name>:<execution name>, as CDK writes it for its own grants;
    // the fleet's Distributed Map children are executions of restore-fleet/<map run>.
    const executions = machines.flatMap((machine) => {
      const name = Fn.select(6, Fn.split(':', machine.stateMachineArn));
      const arn = (resourceName: string) =>
        stack.formatArn({
          service: 'states',
          resource: 'execution',
          resourceName,
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        });
      return [arn(`${name}:*`), arn(`${name}/*`)];
    });
    const read = (): iam.PolicyStatement[] => [
      new iam.PolicyStatement({
        sid: 'ReadStateMachines',
        actions: ['states:DescribeStateMachine', 'states:ListExecutions'],
        resources: machines.map((machine) => machine.stateMachineArn),
      }),
      new iam.PolicyStatement({
        sid: 'ReadExecutions',
        actions: ['states:DescribeExecution', 'states:GetExecutionHistory'],
        resources: executions,
      }),
      // ListBackupVaults and ListRecoveryPointsByResource take no resource (docs/aws-facts.md I.7).
      new iam.PolicyStatement({
        sid: 'ListRecoveryPoints',
        actions: ['backup:ListBackupVaults', 'backup:ListRecoveryPointsByResource'],
        resources: ['*'],
      }),
    ];
    // execute-api:Invoke on the API's paths: both modes' POST for the operator, their GETs for both.
    const restApi = props.api;
    const api = (sid: string, methods: readonly ('POST' | 'GET')[]): iam.PolicyStatement[] =>
      restApi
        ? [
            new iam.PolicyStatement({
              sid,
              actions: ['execute-api:Invoke'],
              resources: methods.flatMap((method) =>
                (['test', 'recovery'] as const).map((mode) => restApi.arnFor(method, mode)),
              ),
            }),
          ]
        : [];
    const key = (actions: string[]): iam.PolicyStatement[] =>
      props.encryptionKey
        ? [
            new iam.PolicyStatement({
              sid: 'ExecutionsKey',
              actions,
              resources: [props.encryptionKey.keyArn],
              conditions: {
                ArnLike: {
                  'kms:EncryptionContext:aws:states:stateMachineArn': machines.map((m) => m.stateMachineArn),
                },
              },
            }),
          ]
        : [];

    this.operator = new iam.ManagedPolicy(this, 'Operator', {
      description:
        'ec2-restore CLI: start and follow restores and fleets (start, watch, status, list, recovery-points, fleet, report)',
      statements: [
        new iam.PolicyStatement({
          sid: 'StartRestores',
          actions: ['states:StartExecution'],
          resources: machines.map((machine) => machine.stateMachineArn),
        }),
        ...read(),
        ...api('StartAndReadThroughApi', ['POST', 'GET']),
        ...key(['kms:Decrypt', 'kms:GenerateDataKey']),
      ],
    });
    this.viewer = new iam.ManagedPolicy(this, 'Viewer', {
      description:
        'ec2-restore CLI, read-only: follow restores and fleets (watch, status, list, recovery-points, report)',
      statements: [...read(), ...api('ReadThroughApi', ['GET']), ...key(['kms:Decrypt'])],
    });
    for (const policy of [this.operator, this.viewer]) {
      NagSuppressions.addResourceSuppressions(policy, [
        {
          id: 'AwsSolutions-IAM5',
          reason: `Executions are named at run time (execution:<state machine>:*, scoped to the two state machines of this stack${restApi ? '; GET /restores/<mode>/* reads them through the API' : ''}); the two Backup list calls support no resource-level permissions.`,
          appliesTo: [
            'Resource::*',
            { regex: '/^Resource::arn:(<AWS::Partition>|aws[a-z-]*):states:.*:execution:.*\\*$/' },
            ...(restApi
              ? [{ regex: '/^Resource::arn:.*:execute-api:.*\\/GET\\/restores\\/(test|recovery)\\/\\*$/' }]
              : []),
          ],
        },
      ]);
    }
  }
}
