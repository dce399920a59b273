import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type ServerOptions } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { httpsProbe } from '../../src/probes/https.js';
import type { ProbeTarget } from '../../src/probes/types.js';
import { serveRaw, serveStatus, timed, serve, type Running } from './servers.js';

const TIMEOUT_MS = 2000;

let directory = '';
let key = '';
let cert = '';

// A self-signed certificate for localhost and 127.0.0.1, made fresh by the openssl CLI.
beforeAll(() => {
  directory = mkdtempSync(join(tmpdir(), 'pcheck-probes-'));
  const keyFile = join(directory, 'key.pem');
  const certFile = join(directory, 'cert.pem');
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '1',
      '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'],
    { stdio: 'ignore' },
  );
  key = readFileSync(keyFile, 'utf8');
  cert = readFileSync(certFile, 'utf8');
});

afterAll(() => rmSync(directory, { recursive: true, force: true }));

let running: Running | undefined;
let protocols: string[] = [];

afterEach(async () => {
  await running?.close();
  running = undefined;
  protocols = [];
});

// An HTTPS server with the self-signed certificate answering `status`; records each negotiated TLS version.
async function serveTls(status: number, options: ServerOptions = {}): Promise<Running> {
  const server = createServer({ key, cert, ...options }, (_request, response) => {
    response.statusCode = status;
    response.end();
  });
  server.on('secureConnection', (socket: TLSSocket) => protocols.push(socket.getProtocol() ?? 'none'));
  return serve(server);
}

function target(port: number, tls?: ProbeTarget['tls']): ProbeTarget {
  return { host: '127.0.0.1', port, path: '/', timeoutMs: TIMEOUT_MS, tls };
}

describe('_bi_webservs (HTTPS HEAD)', () => {
  it('a self-signed server is alive when the certificate is not verified (the default)', async () => {
    running = await serveTls(200);
    expect(await httpsProbe(target(running.port))).toEqual({ ok: true, detail: 'HTTP/1.1 200' });
    expect(await httpsProbe(target(running.port, { verify: false }))).toEqual({ ok: true, detail: 'HTTP/1.1 200' });
  });

  it('a server answering 500 is alive', async () => {
    running = await serveTls(500);
    expect(await httpsProbe(target(running.port))).toEqual({ ok: true, detail: 'HTTP/1.1 500' });
  });

  it('verifying without the CA fails on the self-signed certificate', async () => {
    running = await serveTls(200);
    expect(await httpsProbe(target(running.port, { verify: true }))).toEqual({
      ok: false,
      error: 'DEPTH_ZERO_SELF_SIGNED_CERT: self-signed certificate',
      fault: 'unknown',
    });
  });

  it('verifying against the certificate as CA succeeds, by IP address and by name', async () => {
    running = await serveTls(200);
    expect(await httpsProbe(target(running.port, { verify: true, ca: cert }))).toEqual({
      ok: true,
      detail: 'HTTP/1.1 200',
    });
    expect(await httpsProbe(target(running.port, { verify: true, ca: cert, servername: 'localhost' }))).toEqual({
      ok: true,
      detail: 'HTTP/1.1 200',
    });
  });

  it('verifying fails when the certificate does not carry the host name', async () => {
    running = await serveTls(200);
    const result = await httpsProbe(target(running.port, { verify: true, ca: cert, servername: 'wrong.example' }));
    expect(result).toMatchObject({ ok: false, error: expect.stringMatching(/^ERR_TLS_CERT_ALTNAME_INVALID: .*wrong\.example/), fault: 'unknown' });
  });

  it('a TLS 1.3-only server and a TLS 1.2-only server are both alive', async () => {
    running = await serveTls(200, { minVersion: 'TLSv1.3' });
    expect(await httpsProbe(target(running.port))).toEqual({ ok: true, detail: 'HTTP/1.1 200' });
    await running.close();
    running = await serveTls(200, { maxVersion: 'TLSv1.2' });
    expect(await httpsProbe(target(running.port))).toEqual({ ok: true, detail: 'HTTP/1.1 200' });
    expect(protocols).toEqual(['TLSv1.3', 'TLSv1.2']);
  });

  it('a server that accepts and never starts the handshake fails by the deadline', async () => {
    running = await serveRaw();
    const { result, elapsedMs } = await timed(() => httpsProbe(target(running!.port)));
    expect(result).toEqual({ ok: false, error: `timeout after ${TIMEOUT_MS} ms`, fault: 'server' });
    expect(elapsedMs).toBeLessThan(TIMEOUT_MS + 1000);
  });

  it('a plain HTTP server fails the handshake', async () => {
    running = await serveStatus(200);
    expect(await httpsProbe(target(running.port))).toEqual({
      ok: false,
      error: 'ERR_SSL_WRONG_VERSION_NUMBER: wrong version number',
      fault: 'server',
    });
  });

  it('a CA that is not PEM trusts nothing: the probe fails, it does not throw', async () => {
    running = await serveTls(200);
    expect(await httpsProbe(target(running.port, { verify: true, ca: 'not a certificate' }))).toEqual({
      ok: false,
      error: 'DEPTH_ZERO_SELF_SIGNED_CERT: self-signed certificate',
      fault: 'unknown',
    });
  });
});
