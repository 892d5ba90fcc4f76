/**
 * The EventBridge rules and Scheduler schedules of the orchestrator stack, read from its
 * synthesised template (local/apigateway/synthesised-api.ts), not from a hand-kept copy: their
 * event patterns, targets, expressions, time zones, states and inputs are what deploys. References
 * inside them (Ref, Fn::GetAtt, Fn::Join, Fn::Sub, pseudo parameters) are resolved to the
 * emulator's own resources: the stack's outputs say which state machine, restore role and topic
 * each logical id is, and a function is bound by the `ec2-restore:function` metadata its
 * construct writes (infra/constructs/janitor.ts).
 */
import type { CloudFormationTemplate } from '@local/apigateway/synthesised-api';
import { checkPattern, type EventPattern } from './event-pattern';

export interface EmulatorResources {
  readonly region: string;
  readonly accountId: string;
  readonly restoreStateMachineArn: string;
  readonly fleetStateMachineArn: string;
  readonly restoreRoleArn: string;
}

export interface StackFunction {
  readonly logicalId: string;
  readonly arn: string;
  /** What it runs (its `ec2-restore:function` metadata). */
  readonly runs: string;
  readonly environment: Readonly<Record<string, string>>;
}

export interface RuleTarget {
  readonly id: string;
  readonly arn: string;
  readonly maxRetries: number;
  readonly maxEventAgeSeconds: number;
}

export interface StackRule {
  readonly logicalId: string;
  readonly description: string;
  readonly enabled: boolean;
  readonly pattern: EventPattern;
  readonly targets: readonly RuleTarget[];
}

export interface StackSchedule {
  readonly logicalId: string;
  readonly description: string;
  readonly enabled: boolean;
  readonly expression: string;
  readonly timeZone: string;
  readonly flexibleWindowMinutes: number;
  readonly target: { readonly arn: string; readonly input: string | undefined; readonly maxRetries: number };
}

export interface StackEvents {
  readonly topicArn: string;
  readonly functions: readonly StackFunction[];
  readonly rules: readonly StackRule[];
  readonly schedules: readonly StackSchedule[];
}

type Resource = CloudFormationTemplate['Resources'][string] & { readonly Metadata?: Record<string, unknown> };

export function readStackEvents(template: CloudFormationTemplate, emulator: EmulatorResources): StackEvents {
  const resources = template.Resources as Readonly<Record<string, Resource>>;
  const outputRef = (name: string): string => {
    const value = template.Outputs?.[name]?.Value as
      | { Ref?: string; 'Fn::GetAtt'?: [string, string] }
      | undefined;
    const id = value?.Ref ?? value?.['Fn::GetAtt']?.[0];
    if (!id)
      throw new Error(`The synthesised orchestrator template has no output ${name}: cannot bind its rules.`);
    return id;
  };
  const topicId = outputRef('NotificationTopicArn');
  const topicName = (resources[topicId]?.Properties?.TopicName as string | undefined) ?? topicId;
  const topicArn = `arn:aws:sns:${emulator.region}:${emulator.accountId}:${topicName}`;
  const known: Record<string, { arn: string; name?: string }> = {
    [outputRef('StateMachineArn')]: { arn: emulator.restoreStateMachineArn, name: 'restore-instance' },
    [outputRef('FleetStateMachineArn')]: { arn: emulator.fleetStateMachineArn, name: 'restore-fleet' },
    [outputRef('RestoreRoleArn')]: { arn: emulator.restoreRoleArn },
    [topicId]: { arn: topicArn },
  };
  const arnOf = (logicalId: string): string => {
    const mapped = known[logicalId];
    if (mapped) return mapped.arn;
    const resource = resources[logicalId];
    if (!resource) throw new Error(`The template refers to ${logicalId}, which it does not define.`);
    const { region, accountId } = emulator;
    switch (resource.Type) {
      case 'AWS::Lambda::Function':
        return `arn:aws:lambda:${region}:${accountId}:function:${logicalId}`;
      case 'AWS::SQS::Queue':
        return `arn:aws:sqs:${region}:${accountId}:${logicalId}`;
      case 'AWS::IAM::Role':
        return `arn:aws:iam::${accountId}:role/${logicalId}`;
      case 'AWS::Events::Rule':
        return `arn:aws:events:${region}:${accountId}:rule/${logicalId}`;
      default:
        throw new Error(`The emulator cannot resolve a reference to ${logicalId} (${resource.Type}).`);
    }
  };
  const resolve = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(resolve);
    if (typeof value !== 'object' || value === null) return value;
    const object = value as Record<string, unknown>;
    const [key] = Object.keys(object);
    if (Object.keys(object).length === 1 && key !== undefined && (key === 'Ref' || key.startsWith('Fn::'))) {
      return intrinsic(key, object[key]);
    }
    return Object.fromEntries(Object.entries(object).map(([k, v]) => [k, resolve(v)]));
  };
  const intrinsic = (fn: string, argument: unknown): unknown => {
    switch (fn) {
      case 'Ref': {
        const name = argument as string;
        const pseudo: Record<string, string> = {
          'AWS::Region': emulator.region,
          'AWS::AccountId': emulator.accountId,
          'AWS::Partition': 'aws',
          'AWS::URLSuffix': 'amazonaws.com',
        };
        return pseudo[name] ?? arnOf(name);
      }
      case 'Fn::GetAtt': {
        const [id, attribute] = argument as [string, string];
        if (attribute === 'Arn') return arnOf(id);
        if (attribute === 'Name' && known[id]?.name) return known[id]?.name;
        throw new Error(`The emulator cannot resolve Fn::GetAtt ${id}.${attribute}.`);
      }
      case 'Fn::Join': {
        const [separator, parts] = argument as [string, unknown[]];
        return (resolve(parts) as unknown[]).map(String).join(separator);
      }
      case 'Fn::Sub': {
        const text = typeof argument === 'string' ? argument : (argument as [string])[0];
        return text.replace(/\$\{([^}]+)\}/g, (_m, name: string) =>
          String(name.includes('.') ? intrinsic('Fn::GetAtt', name.split('.')) : intrinsic('Ref', name)),
        );
      }
      default:
        throw new Error(`The emulator cannot resolve ${fn} in the orchestrator template.`);
    }
  };

  const functions: StackFunction[] = [];
  const rules: StackRule[] = [];
  const schedules: StackSchedule[] = [];
  for (const [logicalId, resource] of Object.entries(resources)) {
    const p = resource.Properties ?? {};
    if (
      resource.Type === 'AWS::Lambda::Function' &&
      typeof resource.Metadata?.['ec2-restore:function'] === 'string'
    ) {
      const variables =
        (p.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
      functions.push({
        logicalId,
        arn: arnOf(logicalId),
        runs: resource.Metadata['ec2-restore:function'] as string,
        environment: Object.fromEntries(Object.entries(variables).map(([k, v]) => [k, String(resolve(v))])),
      });
    }
    if (resource.Type === 'AWS::Events::Rule' && p.EventPattern) {
      const pattern = resolve(p.EventPattern) as EventPattern;
      checkPattern(pattern);
      // Rules on other buses would not see these events; none exist in the stack today.
      if (p.EventBusName !== undefined && p.EventBusName !== 'default') continue;
      rules.push({
        logicalId,
        description: String(p.Description ?? logicalId),
        enabled: (p.State ?? 'ENABLED') === 'ENABLED',
        pattern,
        targets: ((p.Targets as Record<string, unknown>[] | undefined) ?? []).map((t) => {
          const retry = t.RetryPolicy as
            | { MaximumRetryAttempts?: number; MaximumEventAgeInSeconds?: number }
            | undefined;
          return {
            id: String(t.Id),
            arn: String(resolve(t.Arn)),
            // EventBridge's defaults: 185 attempts over 24 hours (docs/aws-facts.md I.5).
            maxRetries: retry?.MaximumRetryAttempts ?? 185,
            maxEventAgeSeconds: retry?.MaximumEventAgeInSeconds ?? 86_400,
          };
        }),
      });
    }
    if (resource.Type === 'AWS::Scheduler::Schedule') {
      const target = p.Target as {
        Arn: unknown;
        Input?: string;
        RetryPolicy?: { MaximumRetryAttempts?: number };
      };
      const window = p.FlexibleTimeWindow as { Mode?: string; MaximumWindowInMinutes?: number } | undefined;
      schedules.push({
        logicalId,
        description: String(p.Description ?? logicalId),
        enabled: (p.State ?? 'ENABLED') === 'ENABLED',
        expression: String(p.ScheduleExpression),
        timeZone: String(p.ScheduleExpressionTimezone ?? 'UTC'),
        flexibleWindowMinutes: window?.Mode === 'FLEXIBLE' ? (window.MaximumWindowInMinutes ?? 0) : 0,
        target: {
          arn: String(resolve(target.Arn)),
          input: target.Input,
          maxRetries: target.RetryPolicy?.MaximumRetryAttempts ?? 185,
        },
      });
    }
  }
  return { topicArn, functions, rules, schedules };
}
