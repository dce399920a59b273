// The control socket: 0600 in a 0700 directory, one request line per connection, bounded in size,
// in time and in number. A bad request gets an error answer or a closed connection, never more; a
// client that holds its connection, or never reads its answer, loses it.
import { chmodSync, lstatSync, mkdirSync, unlinkSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import {
  ANSWER_TIMEOUT_MS,
  CONNECTION_LIFETIME_MS,
  decodeRequest,
  encode,
  fail,
  isResponse,
  MAX_CONNECTIONS,
  MAX_REQUEST_BYTES,
  REQUEST_TIMEOUT_MS,
  TextAnswer,
  type Request,
  type Response,
} from '../control/protocol.js';

export type RequestHandler = (request: Request) => Promise<Response | TextAnswer>;

export interface ControlLimits {
  /** Connections served at once; one more is answered E_BUSY and closed at once. */
  readonly maxConnections: number;
  /** The whole request line must have come by then. */
  readonly requestTimeoutMs: number;
  /** From the answer's first byte, the client has this long to read it all. */
  readonly answerTimeoutMs: number;
  /** No connection lives longer, whatever it is doing. */
  readonly lifetimeMs: number;
  /** Rejections are logged a few per window (refused connections: one), the rest counted in one line. */
  readonly rejectLogWindowMs: number;
}

export const CONTROL_LIMITS: ControlLimits = Object.freeze({
  maxConnections: MAX_CONNECTIONS,
  requestTimeoutMs: REQUEST_TIMEOUT_MS,
  answerTimeoutMs: ANSWER_TIMEOUT_MS,
  lifetimeMs: CONNECTION_LIFETIME_MS,
  rejectLogWindowMs: 60_000,
});

/** Rejected requests logged one by one per window; the rest of the window's are counted. */
const REJECT_LOG_BURST = 10;

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

/** Listens on `path` (a stale socket there is removed: the caller holds the lock). `onReject` gets each rejection's reason, throttled. */
export async function startControlServer(
  path: string,
  handle: RequestHandler,
  onReject: (why: string) => void,
  limits: ControlLimits = CONTROL_LIMITS,
): Promise<Server> {
  try {
    unlinkSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const windowSeconds = limits.rejectLogWindowMs / 1000;
  const rejectRequest = throttled(onReject, limits.rejectLogWindowMs, REJECT_LOG_BURST, (count, last) =>
    `${count} more rejected request(s) in the last ${windowSeconds} s, not logged one by one; the last: ${last}`,
  );
  const refuseConnection = throttled(onReject, limits.rejectLogWindowMs, 1, (count) =>
    `E_BUSY: ${count} more connection(s) refused in the last ${windowSeconds} s: ${limits.maxConnections} control connections open, the limit`,
  );
  const open = new Set<Socket>();
  // allowHalfOpen: a client may end its side after its request and still get the answer
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    if (open.size >= limits.maxConnections) {
      refuseConnection(`E_BUSY: ${limits.maxConnections} control connections open, the limit; a new one was refused`);
      return turnAway(socket);
    }
    open.add(socket);
    socket.once('close', () => open.delete(socket));
    serve(socket, handle, rejectRequest, limits);
  });
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
  // an accept that fails (EMFILE: out of descriptors) costs that one client, never the daemon
  server.on('error', (error: NodeJS.ErrnoException) => rejectRequest(`accept failed: ${error.code ?? error.message}`));
  chmodSync(path, 0o600);
  return server;
}

// The answer is small enough to go in one write to the kernel, before the descriptor is closed.
function turnAway(socket: Socket): void {
  socket.on('error', () => undefined);
  socket.end(encode(fail('E_BUSY')));
  socket.destroy();
}

function serve(socket: Socket, handle: RequestHandler, reject: (why: string) => void, limits: ControlLimits): void {
  let buffered = '';
  let phase: 'reading' | 'handling' | 'answered' = 'reading';
  socket.setEncoding('utf8');
  socket.on('error', () => undefined);
  const requestTimer = setTimeout(() => reply(fail('E_TIMEOUT')), limits.requestTimeoutMs);
  // whatever the client does, or the handler, the descriptor is released by then
  const lifetimeTimer = setTimeout(() => socket.destroy(), limits.lifetimeMs);
  let answerTimer: NodeJS.Timeout | undefined;
  socket.once('close', () => {
    clearTimeout(requestTimer);
    clearTimeout(lifetimeTimer);
    clearTimeout(answerTimer);
  });

  function reply(response: Response | TextAnswer): void {
    if (phase === 'answered') return;
    phase = 'answered';
    clearTimeout(requestTimer);
    if (!(response instanceof TextAnswer) && !response.ok) reject(`${response.code}: ${response.message}`);
    if (socket.destroyed) return;
    // once the kernel has the whole answer the socket has no more use; socket.end() alone would
    // keep it open for a client that never closes, and for ever for one that never reads
    socket.once('finish', () => socket.destroy());
    answerTimer = setTimeout(() => socket.destroy(), limits.answerTimeoutMs);
    socket.end(response instanceof TextAnswer ? response.encode() : encode(response));
  }

  socket.on('data', (chunk: string) => {
    if (phase !== 'reading') return;
    buffered += chunk;
    const newline = buffered.indexOf('\n');
    if (newline < 0) {
      if (Buffer.byteLength(buffered) > MAX_REQUEST_BYTES) reply(fail('E_TOO_LARGE'));
      return;
    }
    const line = buffered.slice(0, newline);
    buffered = '';
    if (Buffer.byteLength(line) > MAX_REQUEST_BYTES) return reply(fail('E_TOO_LARGE'));
    const decoded = decodeRequest(line);
    if (isResponse(decoded)) return reply(decoded);
    // one request per connection: nothing after its line is read
    phase = 'handling';
    clearTimeout(requestTimer);
    socket.pause();
    handle(decoded).then(reply, (error: unknown) => reply(fail('E_INTERNAL', `internal error: ${String(error)}`)));
  });
  socket.on('end', () => {
    if (phase !== 'reading') return;
    if (buffered.length > 0) reply(fail('E_PARSE', 'request line not terminated by a newline'));
    else socket.destroy();
  });
}

/**
 * Passes on at most `burst` reasons per window, at once; the rest are counted and passed on as
 * one `summary` line when the window ends, so that no client can flood syslog.
 */
function throttled(
  report: (why: string) => void,
  windowMs: number,
  burst: number,
  summary: (count: number, last: string) => string,
): (why: string) => void {
  let window: NodeJS.Timeout | null = null;
  let passed = 0;
  let held = 0;
  let last = '';
  const openWindow = (): void => {
    window = setTimeout(closeWindow, windowMs);
    window.unref();
  };
  const closeWindow = (): void => {
    window = null;
    passed = 0;
    if (held === 0) return;
    report(summary(held, last));
    held = 0;
    // still under way: the next window is summed up too, one line per window
    passed = burst;
    openWindow();
  };
  return (why) => {
    if (window === null) openWindow();
    if (passed < burst) {
      passed += 1;
      report(why);
      return;
    }
    held += 1;
    last = why;
  };
}
