// The HTTP part of the web probes: the HEAD request and the reading of the status line.
import { isIPv6, type Socket } from 'node:net';
import { exchange } from './exchange.js';
import type { ProbeResult, ProbeTarget } from './types.js';

/** `HTTP/<d>.<d> <ddd>` and the byte that ends the status code, one pattern per byte. */
const STATUS_LINE_SHAPE: readonly RegExp[] = [
  /H/, /T/, /T/, /P/, /\//, /\d/, /\./, /\d/, / /, /\d/, /\d/, /\d/, /[ \r\n]/,
];

/** How much of a bad answer an error quotes. */
const QUOTED_BYTES = 64;

const PRINTABLE_WITHOUT_SPACE = /^[\x21-\x7e]+$/;

// Sends HEAD over the socket `open` returns; any status line counts as alive, anything else fails at once.
export function headProbe(
  target: ProbeTarget,
  defaultPort: number,
  readyEvent: 'connect' | 'secureConnect',
  open: () => Socket,
): Promise<ProbeResult> {
  if (!PRINTABLE_WITHOUT_SPACE.test(target.path)) {
    // a configuration error: no restart of the server mends it
    return Promise.resolve({
      ok: false,
      error: `invalid request path ${JSON.stringify(target.path)}: it must be printable ASCII without spaces`,
      fault: 'unknown',
    });
  }
  const request = headRequest(target, defaultPort);
  return exchange(target, open, readyEvent, (socket, settle) => {
    let received = '';
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1', 0, QUOTED_BYTES - received.length);
      const verdict = readStatusLine(received);
      if (verdict !== null) settle(verdict);
    });
    socket.write(request);
  });
}

// The request bytes; the port goes into Host only when it is not the scheme's default.
export function headRequest(target: ProbeTarget, defaultPort: number): string {
  const name = isIPv6(target.host) ? `[${target.host}]` : target.host;
  const host = target.port === defaultPort ? name : `${name}:${target.port}`;
  return `HEAD ${target.path} HTTP/1.1\r\nHost: ${host}\r\nUser-Agent: pcheck\r\nConnection: close\r\n\r\n`;
}

// The verdict on the first bytes of an answer, or null while they can still become a status line.
function readStatusLine(received: string): ProbeResult | null {
  const checked = Math.min(received.length, STATUS_LINE_SHAPE.length);
  for (let index = 0; index < checked; index += 1) {
    if (!STATUS_LINE_SHAPE[index].test(received[index])) {
      const firstLine = received.split(/[\r\n]/, 1)[0];
      return { ok: false, error: `not an HTTP status line: ${JSON.stringify(firstLine)}`, fault: 'server' };
    }
  }
  if (checked < STATUS_LINE_SHAPE.length) return null;
  return { ok: true, detail: received.slice(0, STATUS_LINE_SHAPE.length - 1) };
}
