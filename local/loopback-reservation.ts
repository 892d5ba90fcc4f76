/**
 * Each emulator owns a loopback range, 127.<octet>.0.0/16, for its instances' private and public
 * addresses, so that a restore's SSH check can only reach an instance of the emulator that
 * restored it. Ownership is a listening socket on the range's marker address, 127.<octet>.0.1,
 * on the SSH port, held for the emulator's lifetime: the kernel lets only one process bind it, so
 * two emulators starting at the same moment cannot both take a range, and no check-then-bind race
 * exists. Every address the range already hands out (the scenario's instances, the next Elastic
 * and auto-assigned public IP) must also bind before the range is taken; later addresses are
 * checked before they are handed out (`probeAddress`).
 */
import { createServer, Server } from 'node:net';
import { describeHolder } from './port-holder';

/** The pinned range (scenario `loopbackOctet`) is in use: names the address and who holds it. */
export class LoopbackRangeInUse extends Error {
  override readonly name = 'LoopbackRangeInUse';
}

export interface LoopbackReservation<T> {
  readonly octet: number;
  /** What `build` made for the octet that was reserved. */
  readonly value: T;
  release(): Promise<void>;
}

const FIRST_OCTET = 2;
const LAST_OCTET = 254;

export function markerAddress(octet: number): string {
  return `127.${octet}.0.1`;
}

/**
 * Reserves a free range: `pinned`, or the first free one from `start` on. `build` lays the world
 * out on a candidate octet and names the addresses it uses; all of them must bind on `port`.
 */
export async function reserveLoopbackRange<T>(options: {
  readonly pinned: number | undefined;
  readonly start: number;
  readonly port: number;
  readonly build: (octet: number) => { readonly value: T; readonly addresses: readonly string[] };
}): Promise<LoopbackReservation<T>> {
  const { pinned, port } = options;
  const candidates = pinned !== undefined ? [pinned] : octetsFrom(options.start);
  const refusals: string[] = [];
  for (const octet of candidates) {
    const marker = markerAddress(octet);
    const lock = await listen(marker, port);
    if (!(lock instanceof Server)) {
      refusals.push(refusal(marker, port, lock));
      if (pinned !== undefined) break;
      continue;
    }
    const { value, addresses } = options.build(octet);
    let taken: string | null = null;
    for (const address of addresses) {
      if (address === marker) continue;
      const problem = await probeAddress(address, port);
      if (problem) {
        taken = problem;
        break;
      }
    }
    if (taken === null) return { octet, value, release: () => close(lock) };
    await close(lock);
    refusals.push(taken);
    if (pinned !== undefined) break;
  }
  if (pinned !== undefined) {
    throw new LoopbackRangeInUse(
      `The scenario pins loopbackOctet ${pinned}, but loopback range 127.${pinned}.0.0/16 is in use: ${refusals[0]}. ` +
        'Stop that process, pick another loopbackOctet, or leave loopbackOctet out so the emulator picks a free range.',
    );
  }
  throw new LoopbackRangeInUse(
    `No free loopback range 127.N.0.0/16 for port ${port} (tried ${refusals.length}); the first: ${refusals[0] ?? 'none'}.`,
  );
}

/** Null when `address:port` can be bound (it is then released at once), else why not. */
export async function probeAddress(address: string, port: number): Promise<string | null> {
  const server = await listen(address, port);
  if (server instanceof Server) {
    await close(server);
    return null;
  }
  return refusal(address, port, server);
}

function refusal(address: string, port: number, error: NodeJS.ErrnoException): string {
  if (error.code === 'EADDRINUSE') return `${address}:${port} is ${describeHolder(address, port)}`;
  return `${address}:${port} cannot be bound (${error.code ?? error.message})`;
}

function* octetsFrom(start: number): Generator<number> {
  const span = LAST_OCTET - FIRST_OCTET + 1;
  for (let i = 0; i < span; i++) yield FIRST_OCTET + ((start - FIRST_OCTET + i) % span);
}

function listen(address: string, port: number): Promise<Server | NodeJS.ErrnoException> {
  return new Promise((resolve) => {
    // Nothing is served on the marker: a connection to it is closed at once.
    const server = createServer((socket) => socket.destroy());
    server.once('error', (error: NodeJS.ErrnoException) => resolve(error));
    server.listen({ host: address, port, exclusive: true }, () => {
      server.removeAllListeners('error');
      server.on('error', () => {});
      server.unref();
      resolve(server);
    });
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}
