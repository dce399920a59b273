// The padmin <-> pcheck protocol: one JSON object per line each way, one request per connection.
import type { PentView } from './views.js';

export const PROTOCOL_VERSION = 1;
/** A request line longer than this is refused. */
export const MAX_REQUEST_BYTES = 64 * 1024;
/** A client that has not sent a whole request line by then is disconnected. */
export const REQUEST_TIMEOUT_MS = 5000;
/** How long padmin waits for an answer (a reload of a big pfile included). */
export const RESPONSE_TIMEOUT_MS = 30_000;
/** `test alert` waits for every destination: at most this long in pcheck, a little longer in padmin. */
export const TEST_ALERT_MS = 45_000;
export const TEST_ALERT_RESPONSE_MS = 55_000;
/** Control connections pcheck serves at once; one more gets E_BUSY and is closed at once. */
export const MAX_CONNECTIONS = 64;
/** A client that has not read the whole answer by then (it never reads) is disconnected. */
export const ANSWER_TIMEOUT_MS = 10_000;
/** No control connection lives longer than this, whatever its client does or does not do. */
export const CONNECTION_LIFETIME_MS = 60_000;

export const COMMANDS = ['show pent', 'show rule', 'show proc', 'show alert', 'test alert', 'stop', 'start', 'reload', 'shutdown', 'ping'] as const;
export type Command = (typeof COMMANDS)[number];

export interface Request {
  readonly v: number;
  readonly cmd: Command;
  /** pent_id the command is limited to (`-p`). */
  readonly pent?: number;
  /** The alert destination `test alert` is limited to (`-d`). */
  readonly dest?: string;
  /**
   * For the show commands: answer with the text padmin prints (renderShow, as a TextAnswer) rather
   * than the views, so that padmin neither parses nor lays out 1000 entries at each start. A pcheck
   * that predates it ignores it and answers the views, which padmin then lays out itself.
   */
  readonly text?: boolean;
}

/** What `show alert` carries: one line per destination. */
export interface AlertStatusView {
  readonly destination: string;
  readonly kind: string;
  readonly queued: number;
  /** ISO 8601 times, or null. */
  readonly oldest_queued: string | null;
  readonly last_success: string | null;
  readonly last_error: string | null;
  readonly last_error_time: string | null;
  /** Whether the destination is failing now. */
  readonly outage: boolean;
}

/** What `test alert` carries: one line per destination tried. */
export interface AlertTestView {
  readonly destination: string;
  readonly kind: string;
  readonly delivered: boolean;
  /** The exact error when not delivered. */
  readonly error: string | null;
  readonly seconds: number;
}

/** One process of `show proc`: the followed process (depth 0) or a descendant. */
export interface ProcRow {
  readonly pid: number;
  readonly ppid: number;
  /** 0 for the followed process, 1 for its children, and so on. */
  readonly depth: number;
  /** The user's name, or the uid as text when the passwd file has none. */
  readonly user: string;
  readonly uid: number | null;
  /** ps's %cpu: CPU time over the process's lifetime, 100 = one core. */
  readonly cpu_percent: number;
  /** Resident set size from /proc/<pid>/status; null when the process ended meanwhile. */
  readonly rss_bytes: number | null;
  /** ISO 8601, to the second (ps's lstart). */
  readonly start_time: string | null;
  readonly command: string;
}

/** What `show proc` carries: one per entry; processes is empty when no process is followed or it has ended. */
export interface ProcView {
  readonly pent_id: number;
  readonly pname: string;
  readonly pid: number | null;
  readonly proc_sts: PentView['proc_sts'];
  readonly processes: readonly ProcRow[];
}

/** Error codes carried by the protocol; never reused. padmin maps every one to exit status 1. */
export const ERROR_CODES = {
  E_PARSE: 'the request is not one JSON object on one line',
  E_VERSION: 'protocol version not supported',
  E_TOO_LARGE: `request larger than ${MAX_REQUEST_BYTES} bytes`,
  E_TIMEOUT: 'request not received in time',
  E_COMMAND: 'unknown command',
  E_NO_ENTRY: 'no such pent_id',
  E_PFILE: 'the pfile has errors; the running configuration is unchanged',
  E_NOT_APPLICABLE: 'the command does not take -p',
  E_INTERNAL: 'internal error',
  E_BUSY: `too many control connections open (${MAX_CONNECTIONS}, the limit): another client is holding them`,
  E_NO_ALERTS: 'the pfile names no AlertFile',
  E_NO_DESTINATION: 'no such alert destination',
  E_PROC_LIST: 'the process list could not be read',
} as const;
export type ErrorCode = keyof typeof ERROR_CODES;

export type Response =
  | { readonly v: number; readonly ok: true; readonly data: unknown }
  | { readonly v: number; readonly ok: false; readonly code: ErrorCode; readonly message: string; readonly details?: readonly string[] };

export function ok(data: unknown): Response {
  return { v: PROTOCOL_VERSION, ok: true, data };
}

export function fail(code: ErrorCode, message: string = ERROR_CODES[code], details?: readonly string[]): Response {
  return details === undefined
    ? { v: PROTOCOL_VERSION, ok: false, code, message }
    : { v: PROTOCOL_VERSION, ok: false, code, message, details };
}

/** Validates one request line; the error Response says what was wrong. */
export function decodeRequest(line: string): Request | Response {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return fail('E_PARSE');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return fail('E_PARSE');
  const record = value as Record<string, unknown>;
  if (record.v !== PROTOCOL_VERSION) return fail('E_VERSION', `protocol version ${String(record.v)} not supported; this pcheck speaks ${PROTOCOL_VERSION}`);
  if (typeof record.cmd !== 'string' || !(COMMANDS as readonly string[]).includes(record.cmd)) {
    return fail('E_COMMAND', `unknown command ${JSON.stringify(record.cmd)}; known: ${COMMANDS.join(', ')}`);
  }
  if (record.pent !== undefined && (!Number.isInteger(record.pent) || (record.pent as number) < 1)) {
    return fail('E_PARSE', 'pent must be a whole number >= 1');
  }
  if (record.dest !== undefined && (typeof record.dest !== 'string' || record.dest === '' || record.dest.length > 200)) {
    return fail('E_PARSE', 'dest must be a destination name');
  }
  if (record.text !== undefined && typeof record.text !== 'boolean') return fail('E_PARSE', 'text must be true or false');
  return {
    v: PROTOCOL_VERSION,
    cmd: record.cmd as Command,
    ...(record.pent === undefined ? {} : { pent: record.pent as number }),
    ...(record.dest === undefined ? {} : { dest: record.dest as string }),
    ...(record.text === true ? { text: true } : {}),
  };
}

export function isResponse(value: Request | Response): value is Response {
  return 'ok' in value;
}

export function encode(message: Request | Response): string {
  return `${JSON.stringify(message)}\n`;
}

/**
 * A show command's answer as the text padmin prints (Request.text), sent as a header line
 * `{"v":1,"ok":true,"bytes":N}` and then the N bytes of the text as they are: no JSON escaping of
 * its 10 000 lines on pcheck's side, no unescaping, decoding and encoding again on padmin's, which
 * writes the bytes to its stdout.
 */
export class TextAnswer {
  constructor(readonly text: string) {}

  encode(): Buffer {
    const body = Buffer.from(this.text, 'utf8');
    return Buffer.concat([Buffer.from(`${JSON.stringify({ v: PROTOCOL_VERSION, ok: true, bytes: body.length })}\n`), body]);
  }
}
