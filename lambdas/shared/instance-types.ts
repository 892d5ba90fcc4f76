/** t2, t3, t3a, t4g: the only instance types that take a CreditSpecification (docs/aws-facts.md A.6). */
export const isBurstable = (instanceType: string): boolean => /^t[234][a-z]*\./.test(instanceType);
