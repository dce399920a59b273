// Whose fault a failed probe is, classified from real errors of real sockets wherever a test can
// cause them without touching the machine (firewall, descriptor limits); the rest from errno values.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createTlsServer } from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { describeError, exchange } from '../../src/probes/exchange.js';
import { faultOf } from '../../src/probes/fault.js';
import { httpProbe } from '../../src/probes/http.js';
import { httpsProbe } from '../../src/probes/https.js';
import { tcpProbe } from '../../src/probes/tcp.js';
import type { ProbeTarget } from '../../src/probes/types.js';
import { freePort, serve, serveRaw, type Running } from './servers.js';

const TIMEOUT_MS = 2000;

function target(port: number, overrides: Partial<ProbeTarget> = {}): ProbeTarget {
  return { host: '127.0.0.1', port, path: '/', timeoutMs: TIMEOUT_MS, ...overrides };
}

let running: Running | undefined;
let directory = '';
let key = '';
let cert = '';

beforeAll(() => {
  directory = mkdtempSync(join(tmpdir(), 'pcheck-fault-'));
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(directory, 'key.pem'), '-out', join(directory, 'cert.pem'),
      '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'],
    { stdio: 'ignore' },
  );
  key = readFileSync(join(directory, 'key.pem'), 'utf8');
  cert = readFileSync(join(directory, 'cert.pem'), 'utf8');
});

afterAll(() => rmSync(directory, { recursive: true, force: true }));

afterEach(async () => {
  await running?.close();
  running = undefined;
});

describe('the server\'s fault: counts toward a stall', () => {
  it('nobody listens on the port (ECONNREFUSED)', async () => {
    const port = await freePort();
    for (const probe of [tcpProbe, httpProbe, httpsProbe]) {
      expect(await probe(target(port))).toEqual({ ok: false, error: 'ECONNREFUSED', fault: 'server' });
    }
  });

  it('the server closes the connection as soon as it accepts it', async () => {
    running = await serveRaw((socket) => socket.destroy());
    const http = await httpProbe(target(running.port));
    expect(http).toMatchObject({ ok: false, fault: 'server' });
    expect(http.ok === false && http.error).toMatch(/^(ECONNRESET|connection closed before an answer)$/);
    expect(await httpsProbe(target(running.port))).toMatchObject({ ok: false, fault: 'server' });
  });

  it('the server resets the connection', async () => {
    running = await serveRaw((socket) => socket.once('data', () => socket.resetAndDestroy()));
    expect(await httpProbe(target(running.port))).toEqual({ ok: false, error: 'ECONNRESET', fault: 'server' });
  });

  it('accepted, never answered: the deadline, once the address was known', async () => {
    running = await serveRaw();
    expect(await httpProbe(target(running.port, { timeoutMs: 300 }))).toEqual({ ok: false, error: 'timeout after 300 ms', fault: 'server' });
    // by name: the lookup of localhost finishes, then the server keeps silent
    expect(await httpProbe(target(running.port, { host: 'localhost', timeoutMs: 300 }))).toEqual({
      ok: false,
      error: 'timeout after 300 ms',
      fault: 'server',
    });
  });

  it('bytes that are not TLS on an HTTPS port', async () => {
    running = await serveRaw((socket) => socket.once('data', () => socket.write('HTTP/1.1 400 Bad Request\r\n\r\n')));
    expect(await httpsProbe(target(running.port))).toEqual({
      ok: false,
      error: 'ERR_SSL_WRONG_VERSION_NUMBER: wrong version number',
      fault: 'server',
    });
  });
});

describe('cannot tell: never counts toward a stall', () => {
  it('a host that does not resolve (RFC 6761 .invalid)', async () => {
    const result = await tcpProbe(target(80, { host: 'nonexistent.invalid' }));
    expect(result).toMatchObject({ ok: false, fault: 'unknown' });
    // ENOTFOUND, or EAI_AGAIN where no resolver answers
    expect(result.ok === false && result.error).toMatch(/^(ENOTFOUND|EAI_AGAIN|EAI_FAIL|name lookup not finished after \d+ ms)$/);
    expect(await httpProbe(target(80, { host: 'nonexistent.invalid' }))).toMatchObject({ ok: false, fault: 'unknown' });
  });

  it('a name lookup still running at the deadline', async () => {
    const port = await freePort();
    const slowLookup = ((_host: string, _options: unknown, callback: (error: Error | null, address: string, family: number) => void) =>
      setTimeout(() => callback(null, '127.0.0.1', 4), 5000).unref()) as never;
    const result = await exchange({ host: 'slow.example', timeoutMs: 200 }, () => connect({ host: 'slow.example', port, lookup: slowLookup }), 'connect', (_socket, settle) =>
      settle({ ok: true, detail: 'connected' }),
    );
    expect(result).toEqual({ ok: false, error: 'name lookup not finished after 200 ms', fault: 'unknown' });
  });

  it('no local address to connect from (EADDRNOTAVAIL)', async () => {
    const port = await freePort();
    const result = await exchange(target(port), () => connect({ host: '127.0.0.1', port, localAddress: '192.0.2.1' }), 'connect', (_socket, settle) =>
      settle({ ok: true, detail: 'connected' }),
    );
    expect(result).toEqual({ ok: false, error: 'EADDRNOTAVAIL', fault: 'unknown' });
  });

  it('a certificate that fails verification (tls_verify=yes): killing the server renews no certificate', async () => {
    running = await serve(createTlsServer({ key, cert }, (socket) => socket.end()));
    expect(await httpsProbe(target(running.port, { tls: { verify: true } }))).toEqual({
      ok: false,
      error: 'DEPTH_ZERO_SELF_SIGNED_CERT: self-signed certificate',
      fault: 'unknown',
    });
    const wrongName = await httpsProbe(target(running.port, { tls: { verify: true, ca: cert, servername: 'wrong.example' } }));
    expect(wrongName).toMatchObject({ ok: false, error: expect.stringMatching(/^ERR_TLS_CERT_ALTNAME_INVALID/), fault: 'unknown' });
  });

  it('a live TLS server that refuses the handshake with an alert (it wants a client certificate)', async () => {
    running = await serve(createTlsServer({ key, cert, requestCert: true, rejectUnauthorized: true }, (socket) => socket.end()));
    const result = await httpsProbe(target(running.port));
    expect(result).toMatchObject({ ok: false, error: expect.stringMatching(/^ERR_SSL_\w+_ALERT_/), fault: 'unknown' });
  });

  it('a request path that cannot be sent', async () => {
    expect(await httpProbe(target(80, { path: '/a b' }))).toMatchObject({ ok: false, fault: 'unknown' });
  });

  it('local errors a test cannot cause without harming the machine: errno values as the kernel gives them', () => {
    const socket = new Socket();
    const errno = (code: string, syscall = 'connect') => Object.assign(new Error(`${syscall} ${code}`), { code, syscall });
    for (const code of ['ENETUNREACH', 'EHOSTUNREACH', 'ENETDOWN', 'EADDRNOTAVAIL', 'EMFILE', 'ENFILE', 'ENOBUFS', 'ENOMEM', 'EACCES', 'EPERM']) {
      expect([code, faultOf(errno(code), socket)]).toEqual([code, 'unknown']);
    }
    for (const code of ['ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'ENODATA']) {
      expect([code, faultOf(errno(code, 'getaddrinfo'), socket)]).toEqual([code, 'unknown']);
    }
    for (const code of ['ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT']) {
      expect([code, faultOf(errno(code), socket)]).toEqual([code, 'server']);
    }
    // IPv6 and IPv4 addresses tried in turn: a refusal on one of them is the server's
    expect(faultOf(new AggregateError([errno('ENETUNREACH'), errno('ECONNREFUSED')]), socket)).toBe('server');
    expect(describeError(new AggregateError([errno('ENETUNREACH'), errno('ECONNREFUSED')]))).toBe('ENETUNREACH, ECONNREFUSED');
    expect(faultOf(new AggregateError([errno('ENETUNREACH'), errno('EHOSTUNREACH')]), socket)).toBe('unknown');
    socket.destroy();
  });
});
