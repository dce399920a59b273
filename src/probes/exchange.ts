// One socket, one conversation, one deadline: the lifecycle every probe shares.
import { isIP, type Socket } from 'node:net';
import { faultOf } from './fault.js';
import type { ProbeResult, ProbeTarget } from './types.js';

/** What a probe does once its socket is ready: call `settle` now, or later as bytes arrive. */
export type Conversation = (socket: Socket, settle: (result: ProbeResult) => void) => void;

// Opens a socket and runs `converse` once it is ready; never rejects, settles by the deadline, always destroys the socket.
export function exchange(
  target: Pick<ProbeTarget, 'host' | 'timeoutMs'>,
  open: () => Socket,
  readyEvent: 'connect' | 'secureConnect',
  converse: Conversation,
): Promise<ProbeResult> {
  const { host, timeoutMs } = target;
  return new Promise((resolve) => {
    let socket: Socket | undefined;
    let settled = false;
    // a deadline that comes before the name is looked up says nothing about the server
    let resolved = isIP(host) !== 0;
    const settle = (result: ProbeResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      socket?.destroy();
      resolve(result);
    };
    const deadline = setTimeout(
      () =>
        settle(
          resolved
            ? { ok: false, error: `timeout after ${timeoutMs} ms`, fault: 'server' }
            : { ok: false, error: `name lookup not finished after ${timeoutMs} ms`, fault: 'unknown' },
        ),
      timeoutMs,
    );
    try {
      socket = open();
    } catch (error) {
      // thrown before any byte is sent (a bad port, an unusable TLS option): pcheck's side
      settle({ ok: false, error: describeError(error), fault: 'unknown' });
      return;
    }
    const ready = socket;
    ready.on('lookup', (error: Error | null) => (resolved ||= error === null || error === undefined));
    ready.on('error', (error) => settle({ ok: false, error: describeError(error), fault: faultOf(error, ready) }));
    ready.on('close', () => settle({ ok: false, error: 'connection closed before an answer', fault: 'server' }));
    ready.once(readyEvent, () => converse(ready, settle));
  });
}

// A socket error as one short line: the errno code for system errors, else the code with its message.
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  // each address tried (IPv6 and IPv4) failed in its own way
  if (error instanceof AggregateError) return (error.errors as unknown[]).map(describeError).join(', ');
  const { code, syscall, reason } = error as NodeJS.ErrnoException & { reason?: unknown };
  if (code === undefined) return error.message;
  if (syscall !== undefined || error.message.includes(code)) return code;
  // OpenSSL errors carry a short reason beside a message full of library internals
  return `${code}: ${typeof reason === 'string' ? reason : error.message}`;
}
