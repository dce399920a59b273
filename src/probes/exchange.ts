// One socket, one conversation, one deadline: the lifecycle every probe shares.
import type { Socket } from 'node:net';
import type { ProbeResult } from './types.js';

/** What a probe does once its socket is ready: call `settle` now, or later as bytes arrive. */
export type Conversation = (socket: Socket, settle: (result: ProbeResult) => void) => void;

// Opens a socket and runs `converse` once it is ready; never rejects, settles by the deadline, always destroys the socket.
export function exchange(
  open: () => Socket,
  readyEvent: 'connect' | 'secureConnect',
  timeoutMs: number,
  converse: Conversation,
): Promise<ProbeResult> {
  return new Promise((resolve) => {
    let socket: Socket | undefined;
    let settled = false;
    const settle = (result: ProbeResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      socket?.destroy();
      resolve(result);
    };
    const deadline = setTimeout(() => settle({ ok: false, error: `timeout after ${timeoutMs} ms` }), timeoutMs);
    try {
      socket = open();
    } catch (error) {
      settle({ ok: false, error: describeError(error) });
      return;
    }
    const ready = socket;
    ready.on('error', (error) => settle({ ok: false, error: describeError(error) }));
    ready.on('close', () => settle({ ok: false, error: 'connection closed before an answer' }));
    ready.once(readyEvent, () => converse(ready, settle));
  });
}

// A socket error as one short line: the errno code for system errors, else the code with its message.
function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const { code, syscall, reason } = error as NodeJS.ErrnoException & { reason?: unknown };
  if (code === undefined) return error.message;
  if (syscall !== undefined || error.message.includes(code)) return code;
  // OpenSSL errors carry a short reason beside a message full of library internals
  return `${code}: ${typeof reason === 'string' ? reason : error.message}`;
}
