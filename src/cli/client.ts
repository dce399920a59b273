// padmin's side of the control protocol: one request, one answer, bounded in time.
import { createConnection } from 'node:net';
import { runDir, runPaths } from '../control/paths.js';
import { encode, PROTOCOL_VERSION, RESPONSE_TIMEOUT_MS, type Command, type Response } from '../control/protocol.js';

/** Why no answer came: nobody listening, not allowed, or a broken exchange. */
export class TransportError extends Error {
  constructor(
    readonly kind: 'absent' | 'denied' | 'broken',
    message: string,
  ) {
    super(message);
  }
}

/** Sends one request to the pcheck of `pfile` (an absolute path) and returns its answer. */
export function request(pfile: string, body: { cmd: Command; pent?: number }): Promise<Response> {
  let socketPath: string;
  try {
    socketPath = runPaths(pfile, runDir()).socket;
  } catch (error) {
    return Promise.reject(new TransportError('broken', (error as Error).message));
  }
  return new Promise((resolve, reject) => {
    const socket = createConnection(socketPath);
    let text = '';
    let settled = false;
    const settle = (outcome: Response | TransportError): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (outcome instanceof TransportError) reject(outcome);
      else resolve(outcome);
    };
    const timer = setTimeout(
      () => settle(new TransportError('broken', `pcheck did not answer within ${RESPONSE_TIMEOUT_MS / 1000} s (socket ${socketPath})`)),
      RESPONSE_TIMEOUT_MS,
    );
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write(encode({ v: PROTOCOL_VERSION, ...body })));
    socket.on('data', (chunk: string) => {
      text += chunk;
      const newline = text.indexOf('\n');
      if (newline >= 0) settle(parseResponse(text.slice(0, newline), socketPath));
    });
    socket.on('end', () => settle(parseResponse(text, socketPath)));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT' || error.code === 'ECONNREFUSED') {
        settle(new TransportError('absent', `no pcheck is running for ${pfile} (no answer on ${socketPath})`));
      } else if (error.code === 'EACCES' || error.code === 'EPERM') {
        settle(new TransportError('denied', `permission denied on ${socketPath}: run padmin as the user pcheck runs as`));
      } else {
        settle(new TransportError('broken', `cannot talk to pcheck on ${socketPath}: ${error.message}`));
      }
    });
  });
}

function parseResponse(line: string, socketPath: string): Response | TransportError {
  try {
    const value = JSON.parse(line) as Response;
    if (typeof value === 'object' && value !== null && typeof value.ok === 'boolean') return value;
  } catch {
    // fall through
  }
  return new TransportError('broken', `pcheck on ${socketPath} sent an answer padmin cannot read: ${JSON.stringify(line.slice(0, 200))}`);
}
