// The control server's bounds, with small limits: connection cap, request, answer and lifetime timeouts, throttled logging.
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ok, type Request, type Response } from '../../src/control/protocol.js';
import { startControlServer, type ControlLimits } from '../../src/daemon/control-server.js';

const LIMITS: ControlLimits = { maxConnections: 3, requestTimeoutMs: 300, answerTimeoutMs: 300, lifetimeMs: 2000, rejectLogWindowMs: 400 };

let dir: string;
let server: Server | null;
let clients: Socket[];
let rejected: string[];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pcheck-control-'));
  server = null;
  clients = [];
  rejected = [];
});

afterEach(async () => {
  for (const client of clients) client.destroy();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  rmSync(dir, { recursive: true, force: true });
});

async function start(handle: (request: Request) => Promise<Response>, limits: Partial<ControlLimits> = {}): Promise<string> {
  const path = join(dir, 'control.sock');
  server = await startControlServer(path, handle, (why) => rejected.push(why), { ...LIMITS, ...limits });
  return path;
}

const answerPing = async (): Promise<Response> => ok({ pong: true });

/**
 * A client that reads what comes (unless `reading` is false) and never ends its side on its own:
 * `ended` resolves when the server has ended or closed the connection.
 */
function connect(path: string, reading = true): Promise<{ socket: Socket; received: () => string; ended: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ path, allowHalfOpen: true });
    clients.push(socket);
    let text = '';
    if (reading) socket.on('data', (chunk) => (text += chunk.toString()));
    else socket.pause();
    socket.on('error', () => undefined);
    const ended = new Promise<void>((resolveEnd) => {
      socket.on('end', () => resolveEnd());
      socket.on('close', () => resolveEnd());
    });
    socket.once('connect', () => resolve({ socket, received: () => text, ended }));
    socket.once('error', reject);
  });
}

function connections(): Promise<number> {
  return new Promise((resolve, reject) => server?.getConnections((error, count) => (error ? reject(error) : resolve(count))));
}

async function until(probe: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('control server', () => {
  it('past the cap a new connection gets E_BUSY and is closed at once; the refusals are logged once per window', async () => {
    const path = await start(answerPing, { requestTimeoutMs: 1500 });
    const held = await Promise.all([connect(path), connect(path), connect(path)]);
    await until(async () => (await connections()) === 3);
    const turnedAway = await Promise.all(Array.from({ length: 10 }, () => connect(path)));
    await Promise.all(turnedAway.map((client) => client.ended));
    for (const client of turnedAway) expect(client.received()).toContain('"code":"E_BUSY"');
    expect(await connections()).toBe(3);
    const busy = () => rejected.filter((why) => why.startsWith('E_BUSY'));
    expect(busy()).toEqual(['E_BUSY: 3 control connections open, the limit; a new one was refused']);
    await until(() => busy().length === 2, 2000);
    expect(busy()[1]).toBe('E_BUSY: 9 more connection(s) refused in the last 0.4 s: 3 control connections open, the limit');
    // the held ones time out, and the cap has room again
    await Promise.all(held.map((client) => client.ended));
    await until(async () => (await connections()) === 0);
    const after = await connect(path);
    after.socket.write('{"v":1,"cmd":"ping"}\n');
    await after.ended;
    expect(after.received()).toContain('"ok":true');
  });

  it('a client that never sends: E_TIMEOUT, then the connection is closed by the server, not just ended', async () => {
    const path = await start(answerPing);
    const idle = await connect(path);
    await idle.ended;
    expect(idle.received()).toContain('"code":"E_TIMEOUT"');
    // the client still holds its end open: the server's descriptor is released all the same
    await until(async () => (await connections()) === 0);
    expect(idle.socket.destroyed).toBe(false);
  });

  it('a slow client sending a byte at a time is cut off at the request timeout', async () => {
    const path = await start(answerPing);
    const slow = await connect(path);
    const drip = setInterval(() => slow.socket.write(' '), 20);
    slow.socket.write('{"v":1,');
    await slow.ended;
    expect(slow.received()).toContain('"code":"E_TIMEOUT"');
    await until(async () => (await connections()) === 0);
    clearInterval(drip);
  });

  it('a client that never reads a large answer is destroyed after the answer timeout', async () => {
    const big = 'x'.repeat(8 * 1024 * 1024);
    const path = await start(async () => ok({ big }));
    const deaf = await connect(path, false);
    deaf.socket.write('{"v":1,"cmd":"show pent"}\n');
    await until(async () => (await connections()) === 1);
    await until(async () => (await connections()) === 0, 3000);
  });

  it('a handler that never answers: the connection ends at the lifetime bound', async () => {
    const path = await start(() => new Promise<Response>(() => undefined), { lifetimeMs: 500 });
    const waiting = await connect(path);
    waiting.socket.write('{"v":1,"cmd":"ping"}\n');
    await waiting.ended;
    await until(async () => (await connections()) === 0);
  });

  it('a client may end its side after the request and still get the answer', async () => {
    const path = await start(async () => {
      await new Promise((resolve) => setTimeout(resolve, 50));
      return ok({ late: true });
    });
    const client = await connect(path);
    client.socket.end('{"v":1,"cmd":"ping"}\n');
    await client.ended;
    expect(client.received()).toContain('"late":true');
  });

  it('one request per connection: a second line is never handled', async () => {
    let handled = 0;
    const path = await start(async () => {
      handled += 1;
      return ok(null);
    });
    const client = await connect(path);
    client.socket.write('{"v":1,"cmd":"ping"}\n{"v":1,"cmd":"shutdown"}\n');
    await client.ended;
    expect(handled).toBe(1);
  });

  it('rejected requests are logged a few per window, the rest in one summary line', async () => {
    const path = await start(answerPing);
    for (let i = 0; i < 25; i += 1) {
      const client = await connect(path);
      client.socket.write('not json\n');
      await client.ended;
    }
    expect(rejected).toHaveLength(10);
    await until(() => rejected.length === 11, 2000);
    expect(rejected[10]).toMatch(/^15 more rejected request\(s\) in the last 0.4 s, not logged one by one; the last: E_PARSE: /);
  });
});
