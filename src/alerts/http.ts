// One HTTP(S) request with a JSON body, for the webhook and Alertmanager destinations: node:http and
// node:https rather than fetch, whose Node 20 build cannot take a CA of its own. One deadline covers
// connect, TLS, request and answer; what is read of an answer is bounded; an error says what failed.
import { request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { describeRefusal, readRegularFile } from '../system/files.js';

export interface HttpTarget {
  /** http:// or https://; user:password@ in it is sent as Basic authorization and never shown. */
  readonly url: string;
  /** Connect, TLS, request and answer together. */
  readonly timeoutSeconds: number;
  /** Verify the server's certificate and name (https). */
  readonly verify: boolean;
  /** PEM file of the CA(s) to trust instead of the system's, read at each request. */
  readonly ca: string | null;
  /** A file holding a bearer token, read at each request, sent as `Authorization: Bearer <token>`. */
  readonly tokenFile?: string | null;
  /** Show the URL's path in errors: no for a webhook, whose path is often its secret (Slack, Teams). */
  readonly showPath?: boolean;
  /** Epoch ms by which the request must be over, when it shares `timeoutSeconds` with others. */
  readonly deadline?: number;
}

export interface HttpAnswer {
  readonly status: number;
  /** The answer's body, at most `maxAnswerBytes` of it (0 unless asked for). */
  readonly body: string;
}

/** Bytes of an error answer's body quoted in the error. */
export const QUOTED_BODY_BYTES = 200;
/** A CA file larger than this is refused. */
export const MAX_CA_BYTES = 1024 * 1024;
/** A token file larger than this is refused. */
export const MAX_TOKEN_BYTES = 16 * 1024;
/** Bytes of a 2xx answer read (and thrown away) before the connection is closed. */
const DRAINED_BYTES = 64 * 1024;

/** POSTs `body` as JSON; resolves on a 2xx answer, rejects with `POST <url>: <what failed>` otherwise. */
export async function postJson(target: HttpTarget, body: unknown): Promise<HttpAnswer> {
  return exchange('POST', target, JSON.stringify(body), 0);
}

/** GETs `url`; resolves with the body (at most `maxAnswerBytes`, more is an error) of a 2xx answer. */
export async function getJson(target: HttpTarget, maxAnswerBytes: number): Promise<HttpAnswer> {
  return exchange('GET', target, null, maxAnswerBytes);
}

/** `https://host:port/path` as errors show it: no credentials, no query, the path only if allowed. */
export function shownUrl(target: Pick<HttpTarget, 'url' | 'showPath'>): string {
  let parsed: URL;
  try {
    parsed = new URL(target.url);
  } catch {
    return '(invalid URL)';
  }
  const path = target.showPath === false ? (parsed.pathname === '/' ? '/' : '/…') : parsed.pathname;
  return `${parsed.protocol}//${parsed.host}${path}`;
}

async function exchange(method: 'GET' | 'POST', target: HttpTarget, payload: string | null, maxAnswerBytes: number): Promise<HttpAnswer> {
  const what = `${method} ${shownUrl(target)}`;
  const started = Date.now();
  let url: URL;
  try {
    url = new URL(target.url);
  } catch {
    throw new Error(`${what}: not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`${what}: not an http:// or https:// URL`);

  const headers: OutgoingHttpHeaders = { 'User-Agent': 'pcheck', Accept: 'application/json' };
  if (payload !== null) {
    headers['Content-Type'] = 'application/json; charset=utf-8';
    headers['Content-Length'] = Buffer.byteLength(payload);
  }
  if (url.username !== '' || url.password !== '') headers.Authorization = `Basic ${basicCredentials(what, url)}`;
  // a token file, when given, is what the operator meant
  if (target.tokenFile) headers.Authorization = `Bearer ${readToken(what, target.tokenFile)}`;
  // a CA matters only where the certificate is checked
  const ca = url.protocol === 'https:' && target.verify && target.ca !== null ? readCa(what, target.ca) : undefined;

  const timeoutMs = Math.max(0, Math.min(started + target.timeoutSeconds * 1000, target.deadline ?? Infinity) - Date.now());
  const hostname = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  const common = {
    method,
    hostname,
    port: url.port === '' ? undefined : Number(url.port),
    path: `${url.pathname}${url.search}`,
    headers,
    agent: false as const,
  };

  return new Promise<HttpAnswer>((resolve, reject) => {
    let settled = false;
    // an error status has arrived: at the deadline, what came of its body is quoted with it
    let failedStatus = false;
    const settle = (error: Error | null, answer?: HttpAnswer): void => {
      if (settled) return;
      settled = true;
      if (error === null && answer !== undefined) resolve(answer);
      else reject(error ?? new Error(`${what}: no answer`));
    };
    const request =
      url.protocol === 'https:'
        ? httpsRequest({
            ...common,
            // SNI may not carry an IP address (RFC 6066)
            servername: isIP(hostname) === 0 ? hostname : undefined,
            rejectUnauthorized: target.verify,
            ca,
            minVersion: 'TLSv1.2',
          })
        : httpRequest(common);
    const timer = setTimeout(() => {
      if (!failedStatus) settle(new Error(`${what}: timed out after ${target.timeoutSeconds} s`));
      request.destroy();
    }, timeoutMs);
    const finish = (): void => {
      clearTimeout(timer);
      request.destroy();
    };

    request.on('error', (error: NodeJS.ErrnoException) => {
      settle(new Error(`${what}: ${describeNetworkError(error, hostname)}`));
      finish();
    });
    request.on('response', (answer: IncomingMessage) => {
      const status = answer.statusCode ?? 0;
      const success = status >= 200 && status <= 299;
      // a success is known from its status line; its body is read only if asked for
      if (success && maxAnswerBytes === 0) {
        settle(null, { status, body: '' });
        drain(answer, DRAINED_BYTES, finish);
        return;
      }
      failedStatus = !success;
      const limit = success ? maxAnswerBytes : QUOTED_BODY_BYTES;
      collect(answer, limit, (body, outcome) => {
        if (!success) settle(new Error(`${what}: HTTP ${status} ${answer.statusMessage ?? ''}`.trimEnd() + quote(body)));
        else if (outcome === 'tooLarge') settle(new Error(`${what}: answer larger than ${maxAnswerBytes} bytes`));
        else if (outcome === 'cut') settle(new Error(`${what}: answer cut short`));
        else settle(null, { status, body: body.toString('utf8') });
        finish();
      });
    });
    request.end(payload ?? undefined);
  });
}

function basicCredentials(what: string, url: URL): string {
  try {
    return Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64');
  } catch {
    throw new Error(`${what}: the credentials in the URL are not properly percent-encoded`);
  }
}

function readToken(what: string, path: string): string {
  const read = readRegularFile(path, MAX_TOKEN_BYTES);
  if ('refused' in read) throw new Error(`${what}: token file ${path}: ${describeRefusal(read.refused, MAX_TOKEN_BYTES)}`);
  const token = read.text.trim();
  if (token === '') throw new Error(`${what}: token file ${path} is empty`);
  // never shown: only what is wrong with it
  if (!/^[\x21-\x7e]+$/.test(token)) throw new Error(`${what}: token file ${path} holds more than one printable ASCII word`);
  return token;
}

function readCa(what: string, path: string): string {
  const read = readRegularFile(path, MAX_CA_BYTES);
  if ('refused' in read) throw new Error(`${what}: ca file ${path}: ${describeRefusal(read.refused, MAX_CA_BYTES)}`);
  if (!read.text.includes('-----BEGIN CERTIFICATE-----')) throw new Error(`${what}: ca file ${path} holds no PEM certificate`);
  return read.text;
}

type Outcome = 'complete' | 'tooLarge' | 'cut';

/** Reads at most `limit` bytes of the answer, and says whether that was all of it. */
function collect(answer: IncomingMessage, limit: number, done: (body: Buffer, outcome: Outcome) => void): void {
  const chunks: Buffer[] = [];
  let length = 0;
  let finished = false;
  const end = (outcome: Outcome): void => {
    if (finished) return;
    finished = true;
    done(Buffer.concat(chunks).subarray(0, limit), outcome);
  };
  answer.on('data', (chunk: Buffer) => {
    chunks.push(chunk);
    length += chunk.length;
    if (length > limit) end('tooLarge');
  });
  answer.on('end', () => end('complete'));
  answer.on('error', () => end('cut'));
  answer.on('close', () => end('cut'));
}

/** Reads and discards at most `limit` bytes, then calls `done`. */
function drain(answer: IncomingMessage, limit: number, done: () => void): void {
  let length = 0;
  answer.on('data', (chunk: Buffer) => {
    length += chunk.length;
    if (length > limit) done();
  });
  answer.on('end', done);
  answer.on('error', done);
  answer.on('close', done);
}

/** `: <the body's first bytes on one line>`, or nothing for an empty body. */
function quote(body: Buffer): string {
  const text = body
    .toString('utf8')
    .replace(/[\u0000-\u001f\u007f]+/g, ' ')
    .replace(/ {2,}/g, ' ')
    .trim();
  return text === '' ? '' : `: ${text}`;
}

const UNTRUSTED = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
  'CERT_REJECTED',
]);

const NETWORK_WORDS: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'connection timed out',
  EPIPE: 'connection closed while sending',
  CERT_HAS_EXPIRED: 'certificate expired',
  CERT_NOT_YET_VALID: 'certificate not yet valid',
};

/** `certificate not trusted (SELF_SIGNED_CERT_IN_CHAIN)`, `connection refused (ECONNREFUSED)`, ... */
export function describeNetworkError(error: NodeJS.ErrnoException, hostname: string): string {
  const code = error.code;
  if (code === undefined) return error.message;
  if (UNTRUSTED.has(code)) return `certificate not trusted (${code})`;
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') return `certificate does not name ${hostname} (${code})`;
  if (code === 'ECONNRESET' && error.message === 'socket hang up') return `connection closed before an answer (${code})`;
  const words = NETWORK_WORDS[code];
  if (words !== undefined) return `${words} (${code})`;
  return error.message.includes(code) ? error.message : `${error.message} (${code})`;
}
