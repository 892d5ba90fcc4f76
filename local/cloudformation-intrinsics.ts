/**
 * The CloudFormation intrinsic functions the synthesised orchestrator template uses (Ref,
 * Fn::GetAtt, Fn::Join, Fn::Split, Fn::Select, Fn::Sub without a variables map, pseudo
 * parameters), resolved to the emulator's values. The REST API and IAM enforcement read the same
 * template; each says what its resources' Ref and GetAtt give.
 */
export interface IntrinsicValues {
  readonly region: string;
  readonly accountId: string;
  /** A resource's Ref in the emulator; undefined leaves its logical id (never a live ARN). */
  ref(logicalId: string): string | undefined;
  /** A resource's attribute in the emulator; undefined leaves `<id>.<attribute>`. */
  getAtt(logicalId: string, attribute: string): string | undefined;
}

export function intrinsicResolver(values: IntrinsicValues): (value: unknown) => unknown {
  const pseudo: Record<string, string> = {
    'AWS::Region': values.region,
    'AWS::AccountId': values.accountId,
    'AWS::Partition': 'aws',
    'AWS::URLSuffix': 'amazonaws.com',
  };
  const resolve = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(resolve);
    if (value === null || typeof value !== 'object') return value;
    const object = value as Record<string, unknown>;
    const keys = Object.keys(object);
    const [key] = keys;
    const arg = key === undefined ? undefined : object[key];
    if (keys.length === 1 && key !== undefined && (key === 'Ref' || key.startsWith('Fn::'))) {
      switch (key) {
        case 'Ref': {
          const id = String(arg);
          return pseudo[id] ?? values.ref(id) ?? id;
        }
        case 'Fn::GetAtt': {
          const [id, attribute] = (typeof arg === 'string' ? arg.split('.') : arg) as [string, string];
          return values.getAtt(id, attribute) ?? `${id}.${attribute}`;
        }
        case 'Fn::Join': {
          const [separator, parts] = arg as [string, unknown[]];
          return (resolve(parts) as unknown[]).map(String).join(separator);
        }
        case 'Fn::Split': {
          const [separator, text] = arg as [string, unknown];
          return String(resolve(text)).split(separator);
        }
        case 'Fn::Select': {
          const [index, list] = arg as [number | string, unknown];
          return (resolve(list) as unknown[])[Number(index)];
        }
        case 'Fn::Sub': {
          const text = typeof arg === 'string' ? arg : String((arg as unknown[])[0]);
          return text.replace(/\$\{([^}]+)\}/g, (_m, name: string) =>
            String(resolve(name.includes('.') ? { 'Fn::GetAtt': name } : { Ref: name })),
          );
        }
      }
    }
    return Object.fromEntries(Object.entries(object).map(([k, v]) => [k, resolve(v)]));
  };
  return resolve;
}
