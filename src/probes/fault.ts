// Whose fault a failed probe is: only the server's failures count toward a stall (docs/stall.md).
import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import type { ProbeFault } from './types.js';

/** Errno codes a server (or its kernel) gives: it refused, aborted or dropped the connection, or never answered. */
const SERVER_CODES: ReadonlySet<string> = new Set(['ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT']);

/** TLS errors that mean the bytes that came back were not TLS at all: the server's, as a non-HTTP answer is. */
const NOT_TLS_CODES: ReadonlySet<string> = new Set(['ERR_SSL_WRONG_VERSION_NUMBER', 'ERR_SSL_PACKET_LENGTH_TOO_LONG']);

// The class of an error a probe's socket emitted; anything not known to be the server's is `unknown`.
export function faultOf(error: unknown, socket: Socket): ProbeFault {
  // the certificate check is pcheck's policy on a live answer: killing the server renews no certificate
  if (socket instanceof TLSSocket && codeOf(error) === rejectedCertificate(socket)) return 'unknown';
  // several addresses tried (IPv6 and IPv4): a server refused on one of them
  const attempts = error instanceof AggregateError ? (error.errors as unknown[]) : [error];
  return attempts.some((attempt) => isServerCode(codeOf(attempt))) ? 'server' : 'unknown';
}

// Node sets authorizationError to the verification error's code (typed as an Error, it is a string or null).
function rejectedCertificate(socket: TLSSocket): string | undefined {
  const rejection: unknown = socket.authorizationError;
  return typeof rejection === 'string' ? rejection : undefined;
}

function isServerCode(code: string | undefined): boolean {
  return code !== undefined && (SERVER_CODES.has(code) || NOT_TLS_CODES.has(code));
}

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}
