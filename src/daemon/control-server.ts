// The control socket: 0600 in a 0700 directory, one request line per connection, bounded in size
// and time. A bad request gets an error answer or a closed connection, never more.
import { chmodSync, lstatSync, mkdirSync, unlinkSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import {
  decodeRequest,
  encode,
  fail,
  isResponse,
  MAX_REQUEST_BYTES,
  REQUEST_TIMEOUT_MS,
  type Request,
  type Response,
} from '../control/protocol.js';

export type RequestHandler = (request: Request) => Promise<Response>;

/** Creates the run directory (0700) if needed; refuses a non-directory or one another user owns, and makes ours 0700. */
export function prepareRunDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const stat = lstatSync(dir);
  if (!stat.isDirectory()) throw new Error(`run directory ${dir} is not a directory (a symbolic link is not accepted); remove it or set PCHECK_RUN_DIR`);
  const uid = process.getuid?.() ?? stat.uid;
  // someone else's directory could hold a socket of theirs under our name: never use it
  if (stat.uid !== uid) {
    throw new Error(`run directory ${dir} belongs to uid ${stat.uid}, not to pcheck's user (uid ${uid}); remove it or set PCHECK_RUN_DIR`);
  }
  if ((stat.mode & 0o777) !== 0o700) chmodSync(dir, 0o700);
}

/** Listens on `path` (a stale socket there is removed: the caller holds the lock). */
export async function startControlServer(
  path: string,
  handle: RequestHandler,
  onReject: (why: string) => void,
): Promise<Server> {
  try {
    unlinkSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const server = createServer((socket) => serve(socket, handle, onReject));
  const oldMask = process.umask(0o177);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } finally {
    process.umask(oldMask);
  }
  chmodSync(path, 0o600);
  return server;
}

function serve(socket: Socket, handle: RequestHandler, onReject: (why: string) => void): void {
  let buffered = '';
  let answered = false;
  socket.setEncoding('utf8');
  socket.on('error', () => undefined);
  const timer = setTimeout(() => reply(fail('E_TIMEOUT')), REQUEST_TIMEOUT_MS);

  function reply(response: Response): void {
    if (answered) return;
    answered = true;
    clearTimeout(timer);
    if (!response.ok) onReject(`${response.code}: ${response.message}`);
    if (!socket.destroyed) socket.end(encode(response));
  }

  socket.on('data', (chunk: string) => {
    if (answered) return;
    buffered += chunk;
    const newline = buffered.indexOf('\n');
    if (newline < 0) {
      if (Buffer.byteLength(buffered) > MAX_REQUEST_BYTES) reply(fail('E_TOO_LARGE'));
      return;
    }
    const line = buffered.slice(0, newline);
    if (Buffer.byteLength(line) > MAX_REQUEST_BYTES) return reply(fail('E_TOO_LARGE'));
    const decoded = decodeRequest(line);
    if (isResponse(decoded)) return reply(decoded);
    clearTimeout(timer);
    handle(decoded).then(reply, (error: unknown) => reply(fail('E_INTERNAL', `internal error: ${String(error)}`)));
  });
  socket.on('end', () => {
    if (!answered && buffered.length > 0) reply(fail('E_PARSE', 'request line not terminated by a newline'));
  });
}
