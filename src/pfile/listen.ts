// MetricsListen's value: `host:port` (an IPv6 host in brackets) or an absolute Unix socket path. Pure.
import { isIPv4, isIPv6 } from 'node:net';
import { FORMS, readNumber } from './numbers.js';
import { quoted, type MetricsListen } from './types.js';

/** A Unix socket path is at most 107 bytes (sun_path holds 108 with its NUL). */
const MAX_SOCKET_PATH_BYTES = 107;
const HOSTNAME = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const FORM_HINT = 'write host:port (127.0.0.1:9464, [::1]:9464) or an absolute Unix socket path';

export function readListen(text: string): MetricsListen | { readonly error: string } {
  if (text.startsWith('/')) {
    if (Buffer.byteLength(text) > MAX_SOCKET_PATH_BYTES) {
      return { error: `MetricsListen socket path is longer than ${MAX_SOCKET_PATH_BYTES} bytes (got ${quoted(text)}); choose a shorter one` };
    }
    return { kind: 'unix', path: text };
  }
  const bracketed = /^\[([^\]]*)\]:([^:]*)$/.exec(text);
  const plain = /^([^:[\]]*):([^:]*)$/.exec(text);
  const parts = bracketed ?? plain;
  if (parts === null) return { error: `MetricsListen must be host:port or an absolute path (got ${quoted(text)}); ${FORM_HINT}` };
  const host = parts[1] ?? '';
  const hostOk = bracketed !== null ? isIPv6(host) : isIPv4(host) || (HOSTNAME.test(host) && !/^[0-9.]+$/.test(host));
  if (!hostOk) {
    const what = bracketed !== null ? 'an IPv6 address in brackets' : 'an IPv4 address or a host name';
    return { error: `MetricsListen host must be ${what} (got ${quoted(text)}); ${FORM_HINT}` };
  }
  const port = readNumber('MetricsListen port', parts[2] ?? '', FORMS.port);
  if ('error' in port) return { error: `${port.error}; ${FORM_HINT}` };
  return { kind: 'tcp', host, port: port.value };
}
