import { afterEach, describe, expect, it } from 'vitest';
import { tcpProbe } from '../../src/probes/tcp.js';
import type { ProbeTarget } from '../../src/probes/types.js';
import { freePort, serveRaw, timed, type Running } from './servers.js';

function target(port: number): ProbeTarget {
  return { host: '127.0.0.1', port, path: '/', timeoutMs: 5000 };
}

let running: Running | undefined;

afterEach(async () => {
  await running?.close();
  running = undefined;
});

// A target that silently drops SYNs needs a firewall rule; it is not tested here.
describe('_bi_socket (TCP connect)', () => {
  it('a listening server is alive, and the probe closes its connection at once', async () => {
    let closedByProbe = false;
    running = await serveRaw((socket) => {
      socket.resume();
      socket.on('close', () => (closedByProbe = true));
    });
    expect(await tcpProbe(target(running.port))).toEqual({ ok: true, detail: 'connected' });
    await expect.poll(() => closedByProbe).toBe(true);
  });

  it('a server that accepts and never answers is alive: connecting is all this probe asks', async () => {
    running = await serveRaw();
    expect(await tcpProbe(target(running.port))).toEqual({ ok: true, detail: 'connected' });
  });

  it('a refused connection fails fast', async () => {
    const port = await freePort();
    const { result, elapsedMs } = await timed(() => tcpProbe(target(port)));
    expect(result).toEqual({ ok: false, error: 'ECONNREFUSED', fault: 'server' });
    expect(elapsedMs).toBeLessThan(1000);
  });

  it('resolves, never rejects, on an impossible port: pcheck\'s side, so it cannot tell', async () => {
    const result = await tcpProbe(target(-1));
    expect(result).toMatchObject({ ok: false, fault: 'unknown' });
  });
});
