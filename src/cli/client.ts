// padmin's side of the control protocol: one request, one answer, bounded in time.
import { createConnection } from 'node:net';
import { runDir, runPaths } from '../control/paths.js';
import { encode, ERROR_CODES, fail, PROTOCOL_VERSION, RESPONSE_TIMEOUT_MS, TEST_ALERT_RESPONSE_MS, type Command, type Response } from '../control/protocol.js';

/** How long a request turned away (every control connection taken: E_BUSY) is tried again. */
const BUSY_RETRY_MS = 2000;
const BUSY_PAUSE_MS = 100;

/** Why no answer came: nobody listening, not allowed, or a broken exchange. */
export class TransportError extends Error {
  constructor(
    readonly kind: 'absent' | 'denied' | 'broken',
    message: string,
  ) {
    super(message);
  }
}

type Body = { cmd: Command; pent?: number; dest?: string };

/**
 * Sends one request to the pcheck of `pfile` (an absolute path) listening in `dir`, and returns its
 * answer. While every control connection is taken, tries again for a while. The connection is made
 * at once, the request written once `sendAfter` has settled: padmin's record of the command is
 * written meanwhile, and must be written before the command is sent.
 */
export async function request(pfile: string, body: Body, dir = runDir(), sendAfter: Promise<unknown> = Promise.resolve()): Promise<Response> {
  let socketPath: string;
  try {
    socketPath = runPaths(pfile, dir).socket;
  } catch (error) {
    throw new TransportError('broken', (error as Error).message);
  }
  const deadline = Date.now() + BUSY_RETRY_MS;
  for (;;) {
    const outcome = await exchange(pfile, socketPath, dir, body, sendAfter);
    if (outcome !== 'turned away' && (outcome.ok || outcome.code !== 'E_BUSY')) return outcome;
    if (Date.now() >= deadline) return fail('E_BUSY', `${ERROR_CODES.E_BUSY} (padmin tried again for ${BUSY_RETRY_MS / 1000} s)`);
    await new Promise((resolve) => setTimeout(resolve, BUSY_PAUSE_MS));
  }
}

/**
 * As request(), trying each run directory in turn while none has a pcheck for the pfile (padmin's
 * own first, then those of other users it may lack the right to enter); `dir` is where one answered.
 */
export async function requestFirst(
  pfile: string,
  body: Body,
  dirs: readonly string[],
  sendAfter: Promise<unknown> = Promise.resolve(),
): Promise<{ response: Response; dir: string }> {
  let absent: TransportError | null = null;
  for (const dir of dirs) {
    try {
      return { response: await request(pfile, body, dir, sendAfter), dir };
    } catch (error) {
      if (!(error instanceof TransportError) || error.kind !== 'absent') {
        // a pcheck of another user's that padmin may not reach: say both
        if (absent !== null && error instanceof TransportError) throw new TransportError(error.kind, `${absent.message}; ${error.message}`);
        throw error;
      }
      absent ??= error;
    }
  }
  throw absent ?? new TransportError('absent', `no pcheck is running for ${pfile}`);
}

/**
 * One connection, one request. 'turned away': closed before any answer, as pcheck does past its
 * connection limit when it closes faster than the request is written (EPIPE); it says E_BUSY first.
 */
function exchange(pfile: string, socketPath: string, dir: string, body: Body, sendAfter: Promise<unknown>): Promise<Response | 'turned away'> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(socketPath);
    // the answer's bytes, decoded once whole: a show pent of 1000 entries comes in several chunks
    const chunks: Buffer[] = [];
    let received = 0;
    let settled = false;
    const settle = (outcome: Response | 'turned away' | TransportError): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (outcome instanceof TransportError) reject(outcome);
      else resolve(outcome);
    };
    // test alert waits for every destination to answer or time out
    const waitMs = body.cmd === 'test alert' ? TEST_ALERT_RESPONSE_MS : RESPONSE_TIMEOUT_MS;
    const timer = setTimeout(
      () => settle(new TransportError('broken', `pcheck did not answer within ${waitMs / 1000} s (socket ${socketPath})`)),
      waitMs,
    );
    socket.on('connect', () => {
      const send = (): void => {
        if (!settled) socket.write(encode({ v: PROTOCOL_VERSION, ...body }));
      };
      sendAfter.then(send, send);
    });
    // the answer is one line, or a header line and as many bytes of text as it says (TextAnswer)
    let header: { line: number; response: Response | TransportError } | null = null;
    const answered = (): void => {
      if (header === null || header.response instanceof TransportError || !header.response.ok) return;
      const bytes = (header.response as { bytes?: unknown }).bytes;
      if (typeof bytes !== 'number') return settle(header.response);
      if (received < header.line + 1 + bytes) return;
      const body = Buffer.concat(chunks, received).subarray(header.line + 1, header.line + 1 + bytes);
      settle({ v: header.response.v, ok: true, data: body });
    };
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      received += chunk.length;
      if (header === null) {
        // the first newline, which only the newest chunk can hold
        const newline = chunk.indexOf(0x0a);
        if (newline < 0) return;
        const line = received - chunk.length + newline;
        header = { line, response: parseResponse(Buffer.concat(chunks, line).toString('utf8'), socketPath) };
        if (header.response instanceof TransportError || !header.response.ok) return settle(header.response);
      }
      answered();
    });
    socket.on('end', () => {
      if (received === 0) return settle('turned away');
      if (header === null) return settle(parseResponse(Buffer.concat(chunks, received).toString('utf8'), socketPath));
      settle(new TransportError('broken', `pcheck on ${socketPath} ended its answer after ${received - header.line - 1} of its bytes`));
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if ((error.code === 'EPIPE' || error.code === 'ECONNRESET') && received === 0) {
        settle('turned away');
      } else if (error.code === 'ENOENT' || error.code === 'ECONNREFUSED') {
        settle(new TransportError('absent', `no pcheck is running for ${pfile} (no answer on ${socketPath})`));
      } else if (error.code === 'EACCES' || error.code === 'EPERM') {
        settle(
          new TransportError(
            'denied',
            `permission denied on ${socketPath}: the run directory ${dir} and its socket are for the user pcheck runs as; run padmin as that user (or as root)`,
          ),
        );
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
