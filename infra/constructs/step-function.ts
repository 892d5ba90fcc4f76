import type { AnyFunctionId, FunctionEnvironment } from '@shared/env';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { stepCode } from '../bundling/step-code';
import { ANY_RESOURCE_FINDING, stepPolicySuppressions } from '../step-policies';

export interface StepFunctionProps<F extends AnyFunctionId> {
  /** Which step: the code is `lambdas/<step>/handler.ts`. */
  readonly step: F;
  /** Typed from the step's env schema: a variable the step needs and infra forgets does not compile. */
  readonly environment: FunctionEnvironment<F>;
  /** @default 60 seconds */
  readonly timeout?: Duration;
  /** @default 256 */
  readonly memorySize?: number;
  /** @default one month */
  readonly logRetention?: logs.RetentionDays;
  /**
   * What the step may do besides logging and tracing (infra/step-policies.ts). The cdk-nag
   * reasons for wildcards among them are attached with them, and only for wildcards that occur.
   * @default none
   */
  readonly permissions?: readonly iam.PolicyStatement[];
}

/**
 * The one way this project builds a step Lambda: Node 22 on arm64, JSON logs into a log group
 * with retention, X-Ray tracing, an esbuild bundle built locally (no Docker: infra/bundling/
 * step-code.ts, the bundling infra/lambda-bundling.ts describes and the bench measures), and the
 * step's own permissions.
 */
export class StepFunction<F extends AnyFunctionId> extends Construct {
  readonly function: lambda.Function;

  constructor(scope: Construct, id: string, props: StepFunctionProps<F>) {
    super(scope, id);
    const logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.function = new lambda.Function(this, 'Function', {
      code: stepCode(props.step),
      handler: 'index.handler',
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 256,
      timeout: props.timeout ?? Duration.seconds(60),
      tracing: lambda.Tracing.ACTIVE,
      loggingFormat: lambda.LoggingFormat.JSON,
      logGroup,
      environment: { POWERTOOLS_SERVICE_NAME: 'ec2-restore-orchestrator', ...props.environment },
    });
    NagSuppressions.addResourceSuppressions(
      this.function,
      [
        {
          id: 'AwsSolutions-L1',
          reason:
            'Node 22 is pinned on purpose: the bundles target node22 and the emulator and tests run the handlers on it. Move to a newer runtime together with those, not implicitly.',
        },
        {
          id: 'AwsSolutions-IAM4',
          reason:
            'AWSLambdaBasicExecutionRole only allows writing logs (CreateLogGroup/CreateLogStream/PutLogEvents); the function logs to its own log group.',
          appliesTo: [
            'Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole',
          ],
        },
      ],
      true,
    );
    const permissions = props.permissions ?? [];
    for (const statement of permissions) this.function.addToRolePolicy(statement);
    // The step's own statements on "*" land in the same policy as X-Ray's, so cdk-nag reports one
    // Resource::* finding for both, and one reason must cover both.
    const tracing =
      'Active tracing needs xray:PutTraceSegments and xray:PutTelemetryRecords, which support no resource-level permissions.';
    const suppressions = stepPolicySuppressions(permissions);
    const own = suppressions.find((s) =>
      s.appliesTo?.some((a) => typeof a !== 'string' && a.regex === ANY_RESOURCE_FINDING),
    );
    NagSuppressions.addResourceSuppressions(
      this.function,
      [
        own
          ? { ...own, reason: `${tracing} ${own.reason}` }
          : { id: 'AwsSolutions-IAM5', reason: tracing, appliesTo: ['Resource::*'] },
        ...suppressions.filter((s) => s !== own),
      ],
      true,
    );
  }
}
