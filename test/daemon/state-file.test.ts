// The state file's encoding: retry times carried across processes on the boot clock, damaged or
// foreign files ignored with the reason, entries matched by their rule.
import { describe, expect, it } from 'vitest';
import { decodeState, encodeState, type StateClocks } from '../../src/daemon/state-file.js';
import { Supervisor, type CarriedEntry, type SupervisorDeps } from '../../src/daemon/supervisor.js';
import { createMemoryLog } from '../../src/log/message-log.js';
import { carried, initialState, restore } from '../../src/monitor/entry.js';
import { config, rule } from '../helpers/rules.js';

/** A process started `startedAt` ms after boot, now `age` ms old. */
const clocksOf = (startedAt: number, age: number, bootId = 'boot-1'): StateClocks => ({
  now: () => age,
  bootNow: () => startedAt + age,
  bootId,
});

const entry = (retries: number[], extra: Partial<CarriedEntry['carried']> = {}): CarriedEntry => ({
  key: 'k1',
  pentId: 1,
  pname: '/usr/sbin/testd',
  carried: { retries, restartCount: retries.length, rerunTime: 1_700_000_000_000, monitoring: true, retriedOver: false, ...extra },
});

describe('state file', () => {
  it('a retry time keeps its age from one pcheck to the next (same boot)', () => {
    // the first pcheck started 1000 s after boot and restarted the server at its 50th second
    const text = encodeState('/etc/pcheck/web.pfile', [entry([50_000])], clocksOf(1_000_000, 60_000));
    // the next one started 1100 s after boot and is 10 s old: that restart (1050 s after boot) is
    // 60 s old, at -50 s on the new process's clock
    const decoded = decodeState(text, '/etc/pcheck/web.pfile', clocksOf(1_100_000, 10_000));
    expect(decoded).toEqual({ entries: [entry([-50_000])] });
  });

  it('another boot: retry times mean nothing and are dropped; the rest is kept', () => {
    const text = encodeState('/p', [entry([50_000], { monitoring: false })], clocksOf(1_000_000, 60_000, 'boot-1'));
    const decoded = decodeState(text, '/p', clocksOf(5_000, 1_000, 'boot-2'));
    expect(decoded).toEqual({ entries: [{ ...entry([], { monitoring: false }), carried: { ...entry([], { monitoring: false }).carried, restartCount: 1 } }] });
  });

  it('damaged, foreign or malformed files are ignored with the reason', () => {
    const clocks = clocksOf(0, 0);
    const good = encodeState('/p', [entry([1])], clocks);
    expect(decodeState(good.slice(0, 40), '/p', clocks)).toEqual({ ignored: 'not valid JSON (a partial or damaged file)' });
    expect(decodeState(good, '/other', clocks)).toEqual({ ignored: 'it belongs to another pfile (/p)' });
    expect(decodeState('{"version":9}', '/p', clocks)).toEqual({ ignored: 'not a version 1 state file' });
    expect(decodeState(good.replace('"restartCount":1', '"restartCount":"x"'), '/p', clocks)).toEqual({ ignored: 'an entry in it is malformed' });
    expect(decodeState('null', '/p', clocks)).toEqual({ ignored: 'not a version 1 state file' });
  });

  it('what is carried: a continue retry over stays UNAVAIL; an exit or shutdown retry over is re-armed with a fresh budget', () => {
    const over = (action: 'continue' | 'exit') => ({
      ...initialState(rule({ retryOverAction: action })),
      procSts: 'UNAVAIL' as const,
      monitoring: false,
      retries: [1, 2, 3],
      restartCount: 3,
    });
    expect(carried(over('continue'))).toMatchObject({ retriedOver: true, monitoring: false, retries: [1, 2, 3] });
    expect(carried(over('exit'))).toMatchObject({ retriedOver: false, monitoring: true, retries: [], restartCount: 3 });
    const restored = restore(initialState(rule()), carried(over('continue')));
    expect(restored).toMatchObject({ procSts: 'UNAVAIL', monitoring: false, restartCount: 3 });
    expect(() => restore({ ...initialState(rule()), procSts: 'AVAIL' }, carried(over('continue')))).toThrow(/before monitoring begins/);
  });

  it('the supervisor restores by rule, not by position; a changed rule starts afresh', () => {
    const deps = { now: () => 0, log: () => createMemoryLog() } as unknown as SupervisorDeps;
    const first = new Supervisor(config([rule({ pname: '/a' }), rule({ pentId: 2, pname: '/b' })]), deps);
    const saved = first.carriedState().map((item) => ({ ...item, carried: { ...item.carried, restartCount: item.pname === '/a' ? 5 : 7 } }));
    // /b moved to the top, /a's rule changed (retry_count)
    const second = new Supervisor(config([rule({ pname: '/b' }), rule({ pentId: 2, pname: '/a', retryCount: 9 })]), deps);
    expect(second.restoreCarried(saved)).toEqual({ restored: 1, dropped: 1 });
    expect(second.carriedState().map((item) => [item.pname, item.carried.restartCount])).toEqual([
      ['/b', 7],
      ['/a', 0],
    ]);
  });
});
