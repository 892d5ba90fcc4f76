/** IPv4 CIDR arithmetic for security-group rules and route tables. */

function toNumber(ip: string): number {
  return ip.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
}

/** Whether `ip` (dotted IPv4) lies in `cidr` (a.b.c.d/n). Not IPv4 → false, never a match by accident. */
export function cidrContains(cidr: string, ip: string): boolean {
  const [base, bits] = cidr.split('/');
  if (base === undefined || bits === undefined || !isIpv4(base) || !isIpv4(ip)) return false;
  const prefix = Number(bits);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > 32) return false;
  if (prefix === 0) return true;
  const mask = 2 ** 32 - 2 ** (32 - prefix);
  // Unsigned arithmetic: the mask keeps the top `prefix` bits.
  return (toNumber(base) & mask) >>> 0 === (toNumber(ip) & mask) >>> 0;
}

export function isIpv4(ip: string): boolean {
  const parts = ip.split('.');
  return parts.length === 4 && parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255);
}
