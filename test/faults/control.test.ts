// Hostile control clients against a real pcheck: many idle connections, a slow-loris, a client that
// never reads its answer. pcheck's own descriptors stay bounded and come back, monitoring goes on.
import { readdirSync } from 'node:fs';
import { createConnection, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPaths } from '../../src/control/paths.js';
import { ANSWER_TIMEOUT_MS, MAX_CONNECTIONS, REQUEST_TIMEOUT_MS } from '../../src/control/protocol.js';
import { eventually, padmin, Pcheck, sandbox, sleep, startDetached, type Sandbox } from '../e2e/harness.js';

/** Descriptors pcheck may open for its own work meanwhile: a restart script's pipes, /proc reads. */
const MARGIN = 16;
const ABSENT_ENTRIES = 1000;

let box: Sandbox;
let pcheck: Pcheck;
let pfile: string;
let fixture: string;
let socketPath: string;
let baseline: number;
const clients: Socket[] = [];

beforeAll(async () => {
  box = sandbox();
  fixture = box.fixture('testd');
  const script = box.script('restart.sh', `setsid ${fixture} 1000 >/dev/null 2>&1 &`);
  const noop = box.script('noop.sh', 'exit 0');
  // entries that are never found: retry_count 0 and continue put them in UNAVAIL at once, no script
  // is run; long names make `show pent` far larger than a socket buffer
  const absent = Array.from({ length: ABSENT_ENTRIES }, (_, i) => `absent-${String(i).padStart(4, '0')}-${'x'.repeat(150)} ${noop} 0 - continue\n`);
  // resource sampling keeps a descriptor on the watched process's stat: sample often, and count it in the baseline
  pfile = box.file('pfile', `UsageInterval 0.5\n${fixture} ${script} - - - start_wait=5\n${absent.join('')}`);
  startDetached(fixture);
  pcheck = new Pcheck(pfile, box.env);
  await pcheck.waitFor(/\) Up$/, 20_000);
  await pcheck.waitForCount(/Retry over \('absent-/, ABSENT_ENTRIES, 30_000);
  socketPath = runPaths(pfile, box.env.PCHECK_RUN_DIR).socket;
  await sleep(1500);
  baseline = await settledDescriptors();
});

afterAll(async () => {
  for (const client of clients) client.destroy();
  if (pcheck.child.exitCode === null) {
    pcheck.kill('SIGKILL');
    await pcheck.exited;
  }
  box.cleanup();
});

function descriptors(): number {
  return readdirSync(`/proc/${pcheck.pid}/fd`).length;
}

/** pcheck's descriptor count once it holds still (a check may have a /proc directory open). */
async function settledDescriptors(): Promise<number> {
  let previous = -1;
  for (;;) {
    const now = Math.min(descriptors(), descriptors(), descriptors());
    if (now === previous) return now;
    previous = now;
    await sleep(200);
  }
}

/** Resolves once pcheck's descriptor count is back to its baseline. */
function backToBaseline(timeoutMs: number, what: string): Promise<true> {
  return eventually(() => (descriptors() <= baseline ? true : undefined), timeoutMs, `${what} (pcheck has ${descriptors()} descriptors, baseline ${baseline})`);
}

/**
 * A client that never ends its side of the connection on its own (allowHalfOpen), as a hostile one
 * would not; `ended` resolves once pcheck has ended or closed it.
 */
function hostileClient(read = true): Promise<{ socket: Socket; received: () => string; ended: Promise<void> }> {
  return new Promise((resolve) => {
    const socket = createConnection({ path: socketPath, allowHalfOpen: true });
    clients.push(socket);
    let text = '';
    if (read) socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
    else socket.pause();
    const ended = new Promise<void>((resolveEnd) => {
      socket.on('end', () => resolveEnd());
      socket.on('close', () => resolveEnd());
    });
    socket.on('error', () => undefined);
    const ready = (): void => resolve({ socket, received: () => text, ended });
    socket.once('connect', ready);
    socket.once('error', ready);
    // destroyed by the test while still connecting: neither 'connect' nor 'error' comes, only 'close'
    socket.once('close', ready);
  });
}

function sampleMaximum(): { stop: () => number } {
  let maximum = descriptors();
  const timer = setInterval(() => {
    try {
      maximum = Math.max(maximum, descriptors());
    } catch {
      // pcheck gone: the assertions after say so
    }
  }, 10);
  return {
    stop: () => {
      clearInterval(timer);
      return maximum;
    },
  };
}

describe('hostile control clients', () => {
  it('1000 clients that connect and never send: pcheck holds at most the cap, still restarts a killed server, and lets go', async () => {
    const peak = sampleMaximum();
    for (let batch = 0; batch < 20; batch += 1) await Promise.all(Array.from({ length: 50 }, () => hostileClient()));
    const fixturePid = Number(/pid=(\d+)\) Up$/.exec(await pcheck.waitFor(/\) Up$/))?.[1]);
    process.kill(fixturePid, 'SIGKILL');
    await pcheck.waitForCount(/\) Up$/, 2, 20_000);
    const highest = peak.stop();
    expect(highest).toBeLessThanOrEqual(baseline + MAX_CONNECTIONS + MARGIN);
    // the clients still hold their ends: pcheck releases its own at the request timeout
    await backToBaseline(REQUEST_TIMEOUT_MS + 10_000, 'idle connections released');
    expect(clients.every((client) => !client.destroyed)).toBe(true);
    for (const client of clients.splice(0)) client.destroy();
    await sleep(200);
    expect(descriptors()).toBeLessThanOrEqual(baseline);
  });

  it('while clients hold every connection padmin fails within seconds with the reason, not a hang', async () => {
    let holding = true;
    const hold = async (): Promise<void> => {
      while (holding) await (await hostileClient()).ended;
    };
    const holders = Array.from({ length: MAX_CONNECTIONS + 4 }, () => hold());
    await sleep(200);
    const refused = await padmin(pfile, box.env, '-c', 'show', 'pent', '-p', '1');
    holding = false;
    for (const client of clients.splice(0)) client.destroy();
    await Promise.all(holders);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain(`too many control connections open (${MAX_CONNECTIONS}, the limit)`);
    await backToBaseline(5000, 'holders released');
  });

  it('a slow-loris sending a byte a second is cut off at the request timeout', async () => {
    const slow = await hostileClient();
    slow.socket.write('{"v":1,');
    let writeFailed = false;
    const drip = setInterval(() => slow.socket.write(' ', (error) => (writeFailed ||= error != null)), 1000);
    await slow.ended;
    expect(slow.received()).toContain('"code":"E_TIMEOUT"');
    // pcheck has closed its end: the next drips fail, the descriptor is back
    await backToBaseline(5000, 'slow-loris released');
    await eventually(() => (writeFailed ? true : undefined), 5000, 'a failed write on the closed connection');
    clearInterval(drip);
    slow.socket.destroy();
  });

  it('a client that asks for show pent and never reads the answer is cut off', async () => {
    const deaf = await hostileClient(false);
    deaf.socket.write('{"v":1,"cmd":"show pent"}\n');
    await eventually(() => (descriptors() > baseline ? true : undefined), 5000, 'the connection accepted');
    await backToBaseline(ANSWER_TIMEOUT_MS + 10_000, 'the deaf client released');
    expect(deaf.socket.destroyed).toBe(false);
    deaf.socket.destroy();
  });

  it('after all that, padmin works and pcheck is whole', async () => {
    const shown = await padmin(pfile, box.env, '-c', 'show', 'pent', '--json');
    expect(shown.status).toBe(0);
    const pents = JSON.parse(shown.stdout) as { proc_sts: string }[];
    expect(pents).toHaveLength(ABSENT_ENTRIES + 1);
    expect(pents[0]?.proc_sts).toBe('AVAIL');
    expect(pcheck.child.exitCode).toBeNull();
    await pcheck.waitFor(/Control request rejected: E_BUSY: \d+ control connections open, the limit; a new one was refused/);
  });
});
