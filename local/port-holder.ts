/**
 * Which process listens on a TCP address, as far as the OS tells: /proc/net/tcp and /proc/<pid>/fd
 * on Linux, else `ss -ltnp`, else nothing (the caller then says the holder is unknown).
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

export interface PortHolder {
  readonly pid: number;
  readonly command: string;
}

/** "held by pid 123 (node bin/ec2-restore.cjs local)", or a sentence saying the holder is unknown. */
export function describeHolder(ip: string, port: number): string {
  const holder = findPortHolder(ip, port);
  if (!holder) return 'held by another process (the OS does not say which)';
  const self = holder.pid === process.pid ? ', this process' : '';
  return `held by pid ${holder.pid}${self} (${holder.command})`;
}

export function findPortHolder(ip: string, port: number): PortHolder | null {
  try {
    return fromProc(ip, port) ?? fromSs(ip, port);
  } catch {
    return null;
  }
}

function fromProc(ip: string, port: number): PortHolder | null {
  let table: string;
  try {
    table = readFileSync('/proc/net/tcp', 'utf8');
  } catch {
    return null;
  }
  const wanted = new Set([procAddress(ip, port), procAddress('0.0.0.0', port)]);
  const inode = table
    .split('\n')
    .slice(1)
    .map((line) => line.trim().split(/\s+/))
    .find((f) => f[3] === '0A' && wanted.has(f[1] ?? ''))?.[9];
  if (!inode || inode === '0') return null;
  const socket = `socket:[${inode}]`;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${entry}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        if (readlinkSync(`/proc/${entry}/fd/${fd}`) === socket)
          return { pid: Number(entry), command: commandOf(entry) };
      } catch {
        // The fd closed while we looked.
      }
    }
  }
  return null;
}

/** /proc/net/tcp's `0100007F:08AE`: the IPv4 address as a little-endian hex word, then the port. */
function procAddress(ip: string, port: number): string {
  const hex = ip
    .split('.')
    .reverse()
    .map((o) => Number(o).toString(16).padStart(2, '0'))
    .join('')
    .toUpperCase();
  return `${hex}:${port.toString(16).padStart(4, '0').toUpperCase()}`;
}

function commandOf(pid: string): string {
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    const text = argv.join(' ');
    return text.length > 100 ? `${text.slice(0, 97)}...` : text || 'unknown command';
  } catch {
    return 'unknown command';
  }
}

function fromSs(ip: string, port: number): PortHolder | null {
  let out: string;
  try {
    out = execFileSync('ss', ['-ltnpH'], {
      encoding: 'utf8',
      timeout: 2000,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
  } catch {
    return null;
  }
  for (const line of out.split('\n')) {
    const local = line.trim().split(/\s+/)[3];
    if (local !== `${ip}:${port}` && local !== `0.0.0.0:${port}` && local !== `*:${port}`) continue;
    const match = /\("([^"]*)",pid=(\d+)/.exec(line);
    if (match?.[2]) return { pid: Number(match[2]), command: match[1] ?? 'unknown command' };
  }
  return null;
}
