/**
 * Real SSH servers for the emulated instances: one ssh2 server per address of every running
 * instance whose sshd is "up", bound to that loopback address, with the instance's own host key,
 * accepting exactly the instance's authorised public key. Servers follow the world: they start
 * when an instance has booted and close when it stops, terminates or loses the address.
 *
 * Each server admits a TCP connection only where AWS's network would deliver it (the target's
 * `refusal`, from the world's route tables and security groups, read at connect time so a group
 * change applies at once). A refused connection is dropped as AWS drops a packet: the loopback
 * TCP connection is accepted, but nothing is ever sent on it, so the client sees a timeout
 * (never a reset or a banner).
 *
 * A server that cannot bind because another process holds the address is the emulator's error,
 * reported through `onBindFailure` (the emulator fails the instance); only an address this
 * emulator's own closing server still holds is retried quietly on the next sync.
 */
import { timingSafeEqual } from 'node:crypto';
import { createServer, type Server as NetServer, type Socket } from 'node:net';
import { type Connection, type ParsedKey, Server, utils } from 'ssh2';
import { describeHolder } from './port-holder';
import type { SshTarget } from './world';

/** An address of `instanceId` another process holds; `cause` names the address and the holder. */
export type BindFailure = (failure: { instanceId: string; address: string; cause: string }) => void;

interface Host {
  readonly instanceId: string;
  /** The listening socket: admits connections to `sshd` or drops them. */
  readonly server: NetServer;
  readonly clients: Set<Connection>;
  /** Connections the network dropped: held open, never answered. */
  readonly dropped: Set<Socket>;
  listening: boolean;
}

export class SshHosts {
  private readonly hosts = new Map<string, Host>();
  /** Addresses whose server is closing: still bound for a moment, by this emulator. */
  private readonly closing = new Map<string, Promise<void>>();

  constructor(
    private readonly port: number,
    private readonly log: (line: string) => void = () => {},
    private readonly onBindFailure: BindFailure = () => {},
    /** Marks work in flight until the returned function is called (a handshake, a binding server). */
    private readonly track: () => () => void = () => () => {},
  ) {}

  /** Make the listening servers match the targets. */
  sync(targets: readonly SshTarget[]): void {
    const wanted = new Map<string, SshTarget>();
    for (const target of targets) for (const address of target.addresses) wanted.set(address, target);
    for (const [address, host] of this.hosts) {
      if (wanted.get(address)?.instanceId !== host.instanceId) this.close(address);
    }
    for (const [address, target] of wanted) {
      if (!this.hosts.has(address)) this.open(address, target);
    }
  }

  /** Addresses with a listening server, for tests and diagnostics. */
  listening(): string[] {
    return [...this.hosts].filter(([, h]) => h.listening).map(([a]) => a);
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.hosts.keys()].map((address) => this.close(address)));
  }

  private open(address: string, target: SshTarget): void {
    const allowed = target.authorizedKey ? parsePublicKey(target.authorizedKey) : null;
    const clients = new Set<Connection>();
    const dropped = new Set<Socket>();
    const sshd = new Server({ hostKeys: [target.hostKey] }, (client: Connection) => {
      clients.add(client);
      // A connection is in flight from accept to close: handshake, auth and session.
      const connected = this.track();
      client.on('close', () => {
        clients.delete(client);
        connected();
      });
      client.on('authentication', (ctx) => {
        if (ctx.method !== 'publickey' || !allowed || !sameKey(ctx.key.algo, ctx.key.data, allowed)) {
          return ctx.reject(['publickey']);
        }
        if (ctx.signature && ctx.blob && allowed.verify(ctx.blob, ctx.signature, ctx.hashAlgo) !== true) {
          return ctx.reject(['publickey']);
        }
        ctx.accept();
      });
      client.on('ready', () => {
        client.on('session', (accept) => {
          const session = accept();
          session.on('exec', (acceptExec, _reject, info) => {
            const stream = acceptExec();
            stream.write(`emulated ${target.instanceId}: ${info.command}\n`);
            stream.exit(emulatedExitCode(info.command));
            stream.end();
          });
        });
      });
      client.on('error', () => {});
    });
    const server = createServer((socket) => {
      const source = (socket.remoteAddress ?? '').replace(/^::ffff:/, '');
      const refusal = target.refusal(source, address, this.port);
      if (refusal === null) {
        sshd.injectSocket(socket);
        return;
      }
      this.log(`ssh ${address}:${this.port} dropped a connection from ${source}: ${refusal}`);
      // Read and discard whatever the client sends (its banner), so that its close is noticed.
      dropped.add(socket);
      socket.on('data', () => {});
      socket.on('error', () => {});
      socket.on('end', () => socket.destroy());
      socket.on('close', () => dropped.delete(socket));
    });
    const host: Host = { instanceId: target.instanceId, server, clients, dropped, listening: false };
    this.hosts.set(address, host);
    // The sshd is starting until it listens (or fails to): the instance's SSH check may be next.
    const binding = this.track();
    server.on('error', (error: NodeJS.ErrnoException) => {
      binding();
      if (this.hosts.get(address) === host) this.hosts.delete(address);
      // Our own server on this address is still closing (an Elastic IP moved): the next sync retries.
      if (error.code === 'EADDRINUSE' && this.closing.has(address)) return;
      const cause =
        error.code === 'EADDRINUSE'
          ? `${address}:${this.port} is ${describeHolder(address, this.port)}`
          : `${address}:${this.port} cannot be bound (${error.code ?? error.message})`;
      this.log(`ssh host for ${target.instanceId} failed: ${cause}`);
      this.onBindFailure({ instanceId: target.instanceId, address, cause });
    });
    server.listen(this.port, address, () => {
      host.listening = true;
      binding();
    });
  }

  private close(address: string): Promise<void> {
    const host = this.hosts.get(address);
    if (!host) return Promise.resolve();
    this.hosts.delete(address);
    // A stopped machine drops its sessions: end every open connection so close() can finish.
    for (const client of host.clients) client.end();
    for (const socket of host.dropped) socket.destroy();
    const closed = new Promise<void>((resolve) => {
      const shut = () => host.server.close(() => resolve());
      if (host.listening) return shut();
      // Still binding: close once bound, or never bound at all.
      host.server.once('listening', shut);
      host.server.once('error', () => resolve());
    }).finally(() => {
      if (this.closing.get(address) === closed) this.closing.delete(address);
    });
    this.closing.set(address, closed);
    return closed;
  }
}

function parsePublicKey(line: string): ParsedKey {
  const parsed = utils.parseKey(line);
  if (parsed instanceof Error) throw parsed;
  return parsed;
}

function sameKey(algo: string, data: Buffer, allowed: ParsedKey): boolean {
  const expected = allowed.getPublicSSH();
  return algo === allowed.type && data.length === expected.length && timingSafeEqual(data, expected);
}

/**
 * The emulated sshd runs no shell. So that `ssh.commands` checks can be rehearsed, `exit N` exits
 * with N and `false` with 1; any other command prints itself and exits 0 (local/README.md).
 */
export function emulatedExitCode(command: string): number {
  const exit = /^\s*exit\s+(\d{1,3})\s*$/.exec(command);
  if (exit) return Number(exit[1]) & 0xff;
  return command.trim() === 'false' ? 1 : 0;
}
