import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { headRequest } from '../../src/probes/head.js';
import { httpProbe } from '../../src/probes/http.js';
import { tcpProbe } from '../../src/probes/tcp.js';
import type { ProbeTarget } from '../../src/probes/types.js';
import { freePort, serveRaw, serveStatus, spawnChildServer, timed, type ChildServer, type Running } from './servers.js';

const TIMEOUT_MS = 500;

function target(port: number, overrides: Partial<ProbeTarget> = {}): ProbeTarget {
  return { host: '127.0.0.1', port, path: '/', timeoutMs: TIMEOUT_MS, ...overrides };
}

let running: Running | undefined;
let childServer: ChildServer | undefined;

afterEach(async () => {
  await running?.close();
  running = undefined;
  childServer?.child.kill('SIGKILL');
  childServer = undefined;
});

// Serves raw bytes: `answer` is written on the first bytes received, then the server stays silent.
async function serveAnswer(answer: string): Promise<Running> {
  return serveRaw((socket: Socket) => socket.once('data', () => socket.write(answer)));
}

describe('_bi_webserv (HTTP HEAD)', () => {
  it('a server answering 200 is alive', async () => {
    running = await serveStatus(200);
    expect(await httpProbe(target(running.port))).toEqual({ ok: true, detail: 'HTTP/1.1 200' });
  });

  it('a server answering 500 is alive: any status line counts, 500 is not a stall', async () => {
    running = await serveStatus(500);
    expect(await httpProbe(target(running.port))).toEqual({ ok: true, detail: 'HTTP/1.1 500' });
  });

  it('sends exactly one HEAD request with Host, User-Agent and Connection: close', async () => {
    let request = '';
    running = await serveRaw((socket) =>
      socket.on('data', (chunk: Buffer) => {
        request += chunk.toString('latin1');
        if (request.endsWith('\r\n\r\n')) socket.write('HTTP/1.0 204 No Content\r\n\r\n');
      }),
    );
    const result = await httpProbe(target(running.port, { path: '/health?deep=1' }));
    expect(result).toEqual({ ok: true, detail: 'HTTP/1.0 204' });
    expect(request).toBe(
      `HEAD /health?deep=1 HTTP/1.1\r\nHost: 127.0.0.1:${running.port}\r\nUser-Agent: pcheck\r\nConnection: close\r\n\r\n`,
    );
  });

  it('writes the port into Host only when it is not the default, and brackets IPv6 literals', () => {
    expect(headRequest(target(80, { host: 'www.example' }), 80)).toContain('\r\nHost: www.example\r\n');
    expect(headRequest(target(8080, { host: 'www.example' }), 80)).toContain('\r\nHost: www.example:8080\r\n');
    expect(headRequest(target(443, { host: '::1' }), 443)).toContain('\r\nHost: [::1]\r\n');
    expect(headRequest(target(8443, { host: '::1' }), 443)).toContain('\r\nHost: [::1]:8443\r\n');
  });

  it('accepts a status line without a reason phrase', async () => {
    running = await serveAnswer('HTTP/1.1 204\r\n\r\n');
    expect(await httpProbe(target(running.port))).toEqual({ ok: true, detail: 'HTTP/1.1 204' });
  });

  it('a server that accepts and never answers fails by the deadline', async () => {
    running = await serveRaw();
    const { result, elapsedMs } = await timed(() => httpProbe(target(running!.port)));
    expect(result).toEqual({ ok: false, error: `timeout after ${TIMEOUT_MS} ms`, fault: 'server' });
    expect(elapsedMs).toBeLessThan(TIMEOUT_MS + 1000);
  });

  it('a stopped (SIGSTOP) server process fails by the deadline although the kernel still accepts', async () => {
    childServer = await spawnChildServer();
    expect(await httpProbe(target(childServer.port))).toEqual({ ok: true, detail: 'HTTP/1.1 200' });
    childServer.child.kill('SIGSTOP');
    const { result, elapsedMs } = await timed(() => httpProbe(target(childServer!.port)));
    expect(result).toEqual({ ok: false, error: `timeout after ${TIMEOUT_MS} ms`, fault: 'server' });
    expect(elapsedMs).toBeLessThan(TIMEOUT_MS + 1000);
    // The kernel completes the TCP handshake from the listen backlog while the process is frozen,
    // so a bare connect (_bi_socket) still succeeds until that backlog fills up.
    expect(await tcpProbe(target(childServer.port))).toEqual({ ok: true, detail: 'connected' });
  });

  it('a refused connection fails fast', async () => {
    const { result, elapsedMs } = await timed(async () => httpProbe(target(await freePort(), { timeoutMs: 5000 })));
    expect(result).toEqual({ ok: false, error: 'ECONNREFUSED', fault: 'server' });
    expect(elapsedMs).toBeLessThan(1000);
  });

  it('garbage instead of a status line fails, naming what came back', async () => {
    running = await serveAnswer('SSH-2.0-OpenSSH_9.6\r\n');
    expect(await httpProbe(target(running.port))).toEqual({
      ok: false,
      error: 'not an HTTP status line: "SSH-2.0-OpenSSH_9.6"',
      fault: 'server',
    });
  });

  it('fails on the first byte that cannot start a status line, without waiting for the deadline', async () => {
    running = await serveAnswer('HTTP/1.1 2x');
    const { result, elapsedMs } = await timed(() => httpProbe(target(running!.port, { timeoutMs: 5000 })));
    expect(result).toEqual({ ok: false, error: 'not an HTTP status line: "HTTP/1.1 2x"', fault: 'server' });
    expect(elapsedMs).toBeLessThan(1000);
  });

  it('rejects a four-digit status code', async () => {
    running = await serveAnswer('HTTP/1.1 2000 OK\r\n\r\n');
    expect(await httpProbe(target(running.port))).toEqual({
      ok: false,
      error: 'not an HTTP status line: "HTTP/1.1 2000 OK"',
      fault: 'server',
    });
  });

  it('a server that closes without answering fails', async () => {
    running = await serveRaw((socket) => socket.once('data', () => socket.end()));
    expect(await httpProbe(target(running.port))).toEqual({ ok: false, error: 'connection closed before an answer', fault: 'server' });
  });

  it('a path that would break the request line fails without connecting', async () => {
    let connections = 0;
    running = await serveRaw(() => (connections += 1));
    expect(await httpProbe(target(running.port, { path: '/a b\r\nX: y' }))).toEqual({
      ok: false,
      error: 'invalid request path "/a b\\r\\nX: y": it must be printable ASCII without spaces',
      fault: 'unknown',
    });
    expect(connections).toBe(0);
  });

  it('resolves, never rejects, on an impossible port: pcheck\'s side, so it cannot tell', async () => {
    const result = await httpProbe(target(70000));
    expect(result).toMatchObject({ ok: false, error: expect.stringContaining('ERR_SOCKET_BAD_PORT'), fault: 'unknown' });
  });

  it('100 concurrent probes against a silent server all settle by their own deadline', async () => {
    running = await serveRaw();
    const runs = await Promise.all(Array.from({ length: 100 }, () => timed(() => httpProbe(target(running!.port)))));
    for (const { result, elapsedMs } of runs) {
      expect(result).toEqual({ ok: false, error: `timeout after ${TIMEOUT_MS} ms`, fault: 'server' });
      expect(elapsedMs).toBeLessThan(TIMEOUT_MS + 1000);
    }
  });
});
