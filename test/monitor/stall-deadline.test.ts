// The stall check driven by the supervisor on a fake monotonic clock: when a stall is declared
// (issue 8 item 14) and which probe failures may never lead to one (item 6).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Supervisor, type SupervisorDeps } from '../../src/daemon/supervisor.js';
import { createMemoryLog } from '../../src/log/message-log.js';
import type { StallRule } from '../../src/pfile/types.js';
import type { ProbeResult, ProbeTarget } from '../../src/probes/types.js';
import { config, rule } from '../helpers/rules.js';

/** How the probed server behaves, on the fake clock (ms). */
interface ServerModel {
  /** From this time on the server answers nothing (SIGSTOP); Infinity = never. */
  stopsAt: number;
  /** How a stopped server fails a probe: it hangs until the probe's timeout, or refuses at once. */
  failure: 'hang' | 'refuse';
  /** How long an answer takes while the server runs. */
  latencyMs: number;
  /**
   * Where each hung probe settles against its deadline, in turn (-1, 0, +1 ms): timers due at the
   * same moment fire in either order on a real event loop.
   */
  skewsMs: readonly number[];
  /** Probes cannot tell (the host does not resolve) while the clock is in [from, to). */
  cannotTell?: readonly [number, number];
}

const PID = 100;

/** A fake OS whose clock and timers the test drives, and a probe that plays `server`. */
function fakeOs(server: ServerModel) {
  let now = 0;
  let timers: { at: number; callback: () => void; cancelled: boolean }[] = [];
  const kills: number[] = [];
  const successes: number[] = [];
  const probed: ProbeTarget[] = [];
  let hung = 0;
  const log = createMemoryLog();
  const after = (ms: number, callback: () => void) => {
    const timer = { at: now + ms, callback, cancelled: false };
    timers.push(timer);
    return () => (timer.cancelled = true);
  };
  const probe = (target: ProbeTarget): Promise<ProbeResult> =>
    new Promise((resolve) => {
      probed.push(target);
      const start = now;
      const [from, to] = server.cannotTell ?? [0, 0];
      if (start >= from && start < to) {
        after(1, () => resolve({ ok: false, error: 'ENOTFOUND', fault: 'unknown' }));
      } else if (start + server.latencyMs < server.stopsAt) {
        after(server.latencyMs, () => {
          successes.push(now);
          resolve({ ok: true, detail: 'HTTP/1.1 200' });
        });
      } else if (server.failure === 'refuse') {
        after(Math.max(0, server.stopsAt - start), () => resolve({ ok: false, error: 'ECONNREFUSED', fault: 'server' }));
      } else {
        const skew = server.skewsMs.length === 0 ? 0 : (server.skewsMs[hung % server.skewsMs.length] ?? 0);
        hung += 1;
        after(target.timeoutMs + skew, () => resolve({ ok: false, error: `timeout after ${target.timeoutMs} ms`, fault: 'server' }));
      }
    });
  const deps: SupervisorDeps = {
    now: () => now,
    wallNow: () => Date.UTC(2026, 10, 22, 3, 0, 0) + now,
    scan: () => [{ pid: PID, comm: 'testd', state: 'S', ppid: 1, startTime: 1, exe: '/usr/sbin/testd', argv: ['/usr/sbin/testd'], uid: 0 }],
    watch: () => ({ check: () => 'alive', close: () => undefined }),
    statOf: () => ({ state: 'S', startTime: 1 }) as never,
    readPidfile: () => null,
    runScript: () => new Promise(() => undefined),
    probe: (_kind, target) => probe(target),
    kill: (pid) => {
      kills.push(now);
      return pid === PID ? null : 'ESRCH';
    },
    readCa: (path) => {
      throw Object.assign(new Error(`ENOENT: no such file or directory, open '${path}'`), { code: 'ENOENT' });
    },
    after,
    log: () => log,
    onFatalRetryOver: () => undefined,
  };
  /** Moves the clock to `end`, firing due timers in order and letting each probe result land before the next timer. */
  const runUntil = async (end: number, stop: () => boolean = () => false) => {
    for (;;) {
      timers = timers.filter((timer) => !timer.cancelled);
      const due = timers.filter((timer) => timer.at <= end).sort((a, b) => a.at - b.at)[0];
      if (due === undefined || stop()) break;
      due.cancelled = true;
      now = Math.max(now, due.at);
      due.callback();
      await new Promise((resolve) => setImmediate(resolve));
    }
    now = Math.max(now, end);
  };
  return { deps, kills, successes, probed, log, runUntil, now: () => now };
}

function stallRule(overrides: Partial<StallRule>): StallRule {
  return {
    kind: 'web',
    blockName: '_bi_webserv',
    line: 2,
    interval: 2,
    stopAfterDetect: false,
    retryOverTime: 6,
    port: 8080,
    host: null,
    timeout: null,
    path: '/',
    actionOnKillFail: false,
    ...overrides,
  };
}

/** Starts a supervisor watching one process with one stall block, its first check at time 0. */
function watch(server: ServerModel, stall: StallRule, entry: Parameters<typeof rule>[0] = {}) {
  const os = fakeOs(server);
  const supervisor = new Supervisor(config([rule({ stall: [stall], ...entry })]), os.deps);
  supervisor.fullCheck();
  return { os, supervisor };
}

describe('a stall is declared at its deadline, not at the next result (issue 8 item 14)', () => {
  it('interval 2 s, retry-over 6 s, timeout 2 s: results that straddle the slots no longer push detection to retry-over + 2 intervals', async () => {
    // the server answers the probe at 4 s (in 5 ms), then stops; hung probes settle 1 ms before, then 1 ms after the next slot
    const stopsAt = 4010;
    const { os } = watch({ stopsAt, failure: 'hang', latencyMs: 5, skewsMs: [-1, 1] }, stallRule({}));
    await os.runUntil(30_000, () => os.kills.length > 0);
    expect(os.successes.at(-1)).toBe(4005);
    // on the old code the stall came with the result of the probe sent at 12 s, at 13.999 s: 10 s after the stop
    expect(os.kills).toEqual([4005 + 6000]);
    expect(os.kills[0]! - stopsAt).toBeLessThanOrEqual(6000 + 2000);
    expect(os.log.texts()).toContain('Find Web Server Stall: pid = 100 : port = 8080');
  });

  it('a timeout longer than the retry-over time is cut to it: detection does not wait for a 60 s timeout', async () => {
    const stopsAt = 4010;
    const { os } = watch(
      { stopsAt, failure: 'hang', latencyMs: 5, skewsMs: [0] },
      stallRule({ kind: 'ssl', blockName: '_bi_webservs', timeout: 60 }),
    );
    await os.runUntil(120_000, () => os.kills.length > 0);
    expect(os.probed[0]?.timeoutMs).toBe(6000);
    expect(os.kills[0]! - stopsAt).toBeLessThanOrEqual(6000 + 2000);
  });

  it('a process just found is not killed while its first probe is still in flight', async () => {
    // the first probe hangs for the whole retry-over time: its failure is the first evidence, at 6 s
    const { os } = watch({ stopsAt: 0, failure: 'hang', latencyMs: 5, skewsMs: [1] }, stallRule({ interval: 6, retryOverTime: 6 }));
    await os.runUntil(6000);
    expect(os.kills).toEqual([]);
    await os.runUntil(6001);
    expect(os.kills).toEqual([6001]);
  });

  it('an entry removed by a reload while its probe is in flight: the late failure kills nothing', async () => {
    const { os, supervisor } = watch({ stopsAt: 0, failure: 'hang', latencyMs: 5, skewsMs: [0] }, stallRule({ interval: 2, retryOverTime: 2 }));
    await os.runUntil(1000);
    expect(os.probed).toHaveLength(1);
    supervisor.reload(config([]));
    await os.runUntil(10_000);
    expect(os.kills).toEqual([]);
    expect(os.log.texts().filter((text) => text.startsWith('Stall probe') || text.includes('Stall:'))).toEqual([]);
  });

  it('property: detection <= retry-over + one interval after the server stops, never sooner than retry-over after its last answer', async () => {
    const scenario = fc
      .record({
        kind: fc.constantFrom('web' as const, 'ssl' as const, 'skt' as const),
        halfSeconds: fc.integer({ min: 1, max: 40 }),
        extraIntervals: fc.integer({ min: 0, max: 6 }),
        extraHalfSeconds: fc.integer({ min: 0, max: 3 }),
        timeoutTenths: fc.option(fc.integer({ min: 1, max: 600 }), { nil: null }),
        stopsAtFraction: fc.double({ min: 0, max: 4, noNaN: true }),
        failure: fc.constantFrom('hang' as const, 'refuse' as const),
        latencyMs: fc.integer({ min: 0, max: 50 }),
        skewsMs: fc.array(fc.constantFrom(-1, 0, 1), { minLength: 1, maxLength: 8 }),
      })
      .map((s) => {
        const interval = s.halfSeconds / 2;
        const retryOverTime = interval * (1 + s.extraIntervals) + s.extraHalfSeconds / 2;
        // only _bi_webservs takes a timeout of its own: below, equal to or above the interval
        const timeout = s.kind === 'ssl' && s.timeoutTenths !== null ? s.timeoutTenths / 10 : null;
        return { ...s, interval, retryOverTime, timeout, stopsAt: Math.round(s.stopsAtFraction * retryOverTime * 1000) };
      });
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        const stall = stallRule({
          kind: s.kind,
          blockName: { web: '_bi_webserv', ssl: '_bi_webservs', skt: '_bi_socket' }[s.kind],
          interval: s.interval,
          retryOverTime: s.retryOverTime,
          timeout: s.timeout,
        });
        const { os } = watch({ stopsAt: s.stopsAt, failure: s.failure, latencyMs: s.latencyMs, skewsMs: s.skewsMs }, stall);
        const bound = (s.retryOverTime + s.interval) * 1000;
        await os.runUntil(s.stopsAt + bound + 10_000, () => os.kills.length > 0);
        expect(os.kills).toHaveLength(1);
        const killedAt = os.kills[0]!;
        const lastAnswer = os.successes.at(-1) ?? 0;
        // a hung probe may settle 1 ms past its deadline
        expect(killedAt - s.stopsAt).toBeLessThanOrEqual(bound + 1);
        expect(killedAt - lastAnswer).toBeGreaterThanOrEqual(s.retryOverTime * 1000);
      }),
      { numRuns: 300 },
    );
  });

  it('property: a server that keeps answering is never killed, whatever the interval and timeout', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 0, max: 4 }),
        fc.integer({ min: 0, max: 900 }),
        async (halfSeconds, extraIntervals, latencyMs) => {
          const interval = halfSeconds / 2;
          const stall = stallRule({ interval, retryOverTime: interval * (1 + extraIntervals) });
          const { os } = watch({ stopsAt: Number.POSITIVE_INFINITY, failure: 'hang', latencyMs: Math.min(latencyMs, interval * 1000 - 1), skewsMs: [0] }, stall);
          await os.runUntil(stall.retryOverTime * 1000 * 5);
          expect(os.kills).toEqual([]);
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe('a failure that is not the server\'s fault never counts toward a stall (issue 8 item 6)', () => {
  it('a probe host that does not resolve: UNKNOWN, logged once with host and error, no kill over many retry-over periods', async () => {
    const { os, supervisor } = watch(
      { stopsAt: Number.POSITIVE_INFINITY, failure: 'hang', latencyMs: 5, skewsMs: [0], cannotTell: [0, Number.POSITIVE_INFINITY] },
      stallRule({ host: 'no-such-host.invalid', interval: 1, retryOverTime: 2, kind: 'skt', blockName: '_bi_socket' }),
    );
    await os.runUntil(60_000);
    expect(os.kills).toEqual([]);
    expect(os.probed.length).toBeGreaterThan(50);
    expect(supervisor.views()?.[0]?.stall_chk).toEqual([{ kind: 'skt', state: 'UNKNOWN' }]);
    expect(os.log.texts()).toEqual([
      "('/usr/sbin/testd' ,pid=100) Up",
      "Stall probe cannot tell ('/usr/sbin/testd') _bi_socket no-such-host.invalid:8080: ENOTFOUND; not counted toward a stall",
    ]);
    expect(os.log.entries().at(-1)).toMatchObject({ key: 'probeCannotTell', fields: { host: 'no-such-host.invalid', port: 8080, error: 'ENOTFOUND' } });
  });

  it('the name resolves again and the server is dead: one message, then a stall the retry-over time after the last unknown result', async () => {
    const { os } = watch(
      { stopsAt: 0, failure: 'refuse', latencyMs: 5, skewsMs: [0], cannotTell: [0, 20_000] },
      stallRule({ interval: 2, retryOverTime: 6 }),
    );
    await os.runUntil(60_000, () => os.kills.length > 0);
    // the last probe that could not tell was sent at 18 s and settled at 18.001 s
    expect(os.kills).toEqual([18_001 + 6000]);
    expect(os.log.texts().filter((text) => text.startsWith('Stall probe'))).toEqual([
      "Stall probe cannot tell ('/usr/sbin/testd') _bi_webserv 127.0.0.1:8080: ENOTFOUND; not counted toward a stall",
      "Stall probe reaches the server again ('/usr/sbin/testd') _bi_webserv 127.0.0.1:8080 after 20s unable to tell",
      "Stall probe failed ('/usr/sbin/testd') _bi_webserv 127.0.0.1:8080: ECONNREFUSED; a stall after 6s without an answer",
    ]);
  });

  it('a tls_ca file that cannot be read: the probe is not sent, the check cannot tell, nothing is killed', async () => {
    const { os, supervisor } = watch(
      { stopsAt: Number.POSITIVE_INFINITY, failure: 'hang', latencyMs: 5, skewsMs: [0] },
      stallRule({ kind: 'ssl', blockName: '_bi_webservs', interval: 1, retryOverTime: 2 }),
      { tlsVerify: true, tlsCa: '/etc/pcheck/missing-ca.pem' },
    );
    await os.runUntil(20_000);
    expect(os.probed).toEqual([]);
    expect(os.kills).toEqual([]);
    expect(supervisor.views()?.[0]?.stall_chk).toEqual([{ kind: 'ssl', state: 'UNKNOWN' }]);
    expect(os.log.texts().at(-1)).toBe(
      "Stall probe cannot tell ('/usr/sbin/testd') _bi_webservs 127.0.0.1:8080: tls_ca /etc/pcheck/missing-ca.pem cannot be read: ENOENT; not counted toward a stall",
    );
  });

  it('the first failure of a silence is logged with host, port and error; an answer closes it', async () => {
    const { os } = watch({ stopsAt: 2500, failure: 'refuse', latencyMs: 5, skewsMs: [0] }, stallRule({ interval: 2, retryOverTime: 60 }));
    await os.runUntil(20_000);
    expect(os.log.texts().filter((text) => text.startsWith('Stall probe'))).toEqual([
      "Stall probe failed ('/usr/sbin/testd') _bi_webserv 127.0.0.1:8080: ECONNREFUSED; a stall after 60s without an answer",
    ]);
  });
});
