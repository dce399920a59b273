import { describe, expect, it } from 'vitest';
import {
  initialStall,
  probeTimeoutMs,
  stallDeadline,
  stallTransition,
  type StallEffect,
  type StallEvent,
  type StallState,
} from '../../src/monitor/stall.js';
import type { StallRule } from '../../src/pfile/types.js';

function stallRule(overrides: Partial<StallRule> = {}): StallRule {
  return {
    kind: 'web',
    blockName: '_bi_webserv',
    line: 3,
    interval: 60,
    stopAfterDetect: false,
    retryOverTime: 600,
    port: 8080,
    host: null,
    timeout: null,
    path: '/',
    actionOnKillFail: true,
    ...overrides,
  };
}

const NAME = '/usr/sbin/testd';

function feed(state: StallState, events: [number, StallEvent][], pid: number | null = 42) {
  let current = state;
  const effects: StallEffect[] = [];
  for (const [seconds, event] of events) {
    const step = stallTransition(current, event, { now: seconds * 1000, pid, name: NAME });
    current = step.state;
    effects.push(...step.effects);
  }
  return { state: current, effects };
}

const answered: StallEvent = { type: 'probeResult', result: { ok: true, detail: 'HTTP/1.1 200' } };
const failed = (error = 'timeout after 10000 ms'): StallEvent => ({ type: 'probeResult', result: { ok: false, error, fault: 'server' } });
const cannotTell = (error = 'ENOTFOUND'): StallEvent => ({ type: 'probeResult', result: { ok: false, error, fault: 'unknown' } });
const keysOf = (effects: readonly StallEffect[]) => effects.map((effect) => (effect.type === 'log' ? effect.key : effect.type));

/** Up at 0 and answered at 0. */
const upAndAnswering = (rule = stallRule()) => feed(initialStall(rule, 0), [[0, { type: 'processUp' }], [0, answered]]).state;

describe('stall check', () => {
  it('UNKNOWN until there is a process, INIT until a first answer, then AVAIL', () => {
    const start = initialStall(stallRule(), 0);
    expect(start.sts).toBe('UNKNOWN');
    const up = feed(start, [[0, { type: 'processUp' }]]);
    expect(up.state.sts).toBe('INIT');
    const later = feed(up.state, [[1, { type: 'probeStarted' }], [1, answered]]);
    expect(later.state.sts).toBe('AVAIL');
  });

  it('failures inside the retry-over time are not a stall; past it, Find Web Server Stall and a kill', () => {
    const early = feed(upAndAnswering(), [[599, failed()]]);
    expect(early.state.sts).toBe('AVAIL');
    expect(keysOf(early.effects)).toEqual(['probeFailed']);
    const late = feed(upAndAnswering(), [[600, failed()]]);
    expect(late.state.sts).toBe('DETECT');
    expect(late.effects.slice(1)).toEqual([
      { type: 'log', key: 'stallWeb', fields: { pid: 42, port: 8080, host: '127.0.0.1', error: 'timeout after 10000 ms' } },
      { type: 'kill' },
    ]);
  });

  it('a TCP block says Find Socket Service Stall', () => {
    const up = feed(initialStall(stallRule({ kind: 'skt', blockName: '_bi_socket' }), 0), [[0, { type: 'processUp' }]]).state;
    expect(feed(up, [[600, failed('ECONNREFUSED')]]).effects[1]).toEqual({
      type: 'log',
      key: 'stallSocket',
      fields: { pid: 42, port: 8080, host: '127.0.0.1', error: 'ECONNREFUSED' },
    });
  });

  it('killed: Killed Process, a restart for stall, and the check starts over with the new process', () => {
    const detected = feed(initialStall(stallRule(), 0), [[0, { type: 'processUp' }], [600, failed()]]).state;
    const killed = feed(detected, [[600, { type: 'killed' }]]);
    expect(killed.effects).toEqual([{ type: 'log', key: 'killed', fields: { pid: 42 } }, { type: 'restartForStall' }]);
    const again = feed(killed.state, [[601, { type: 'processDown' }], [605, { type: 'processUp' }]]);
    expect(again.state.sts).toBe('INIT');
    expect(feed(again.state, [[1204, failed()]]).state.sts).toBe('INIT');
  });

  it('EXEC error = 1 ends stall monitoring after one detection; death monitoring is not its business', () => {
    const detected = feed(initialStall(stallRule({ stopAfterDetect: true }), 0), [[0, { type: 'processUp' }], [600, failed()]]).state;
    const after = feed(detected, [[600, { type: 'killed' }], [601, { type: 'processDown' }], [602, { type: 'processUp' }]]);
    expect(after.state).toMatchObject({ sts: 'UNAVAIL', ended: true });
  });

  it('a kill that fails: Can not killed Process, UNAVAIL, and ACTION error = 1 asks for the retry_over_action', () => {
    const detected = feed(initialStall(stallRule(), 0), [[0, { type: 'processUp' }], [600, failed()]]).state;
    const killFailed = feed(detected, [[600, { type: 'killFailed', error: 'EPERM' }]]);
    expect(killFailed.state.sts).toBe('UNAVAIL');
    expect(killFailed.effects).toEqual([
      { type: 'log', key: 'killFailed', fields: { pid: 42, error: 'EPERM' } },
      { type: 'retryOverAction' },
    ]);
    const quiet = feed(initialStall(stallRule({ actionOnKillFail: false }), 0), [[0, { type: 'processUp' }], [600, failed()], [600, { type: 'killFailed', error: 'EPERM' }]]);
    expect(keysOf(quiet.effects)).toEqual(['probeFailed', 'stallWeb', 'kill', 'killFailed']);
  });

  it('a result for a process that went away says nothing', () => {
    const gone = feed(initialStall(stallRule(), 0), [[0, { type: 'processUp' }], [1, { type: 'probeStarted' }], [2, { type: 'processDown' }], [700, failed()]]);
    expect(gone.effects).toEqual([]);
    expect(gone.state.sts).toBe('UNKNOWN');
  });

  it('the per-attempt timeout defaults to the smaller of 10 s and the interval, and never exceeds the retry-over time', () => {
    expect(probeTimeoutMs(stallRule({ interval: 60 }))).toBe(10_000);
    expect(probeTimeoutMs(stallRule({ interval: 2 }))).toBe(2000);
    expect(probeTimeoutMs(stallRule({ timeout: 5 }))).toBe(5000);
    expect(probeTimeoutMs(stallRule({ interval: 2, retryOverTime: 6, timeout: 30 }))).toBe(6000);
  });
});

describe('stall deadline (issue 8 item 14)', () => {
  it('no deadline without a failure by the server\'s fault: a first probe still in flight is no evidence', () => {
    const up = feed(initialStall(stallRule({ retryOverTime: 6, interval: 2 }), 0), [[0, { type: 'processUp' }], [0, { type: 'probeStarted' }]]).state;
    expect(stallDeadline(up)).toBeNull();
    const asked = feed(up, [[6, { type: 'deadline' }], [60, { type: 'deadline' }]]);
    expect(asked.effects).toEqual([]);
    expect(asked.state.sts).toBe('INIT');
  });

  it('the deadline is the retry-over time after the last answer, once a probe has failed; it declares the stall there', () => {
    const rule = stallRule({ retryOverTime: 6, interval: 2 });
    const failing = feed(upAndAnswering(rule), [[2, { type: 'probeStarted' }], [4, failed()]]).state;
    expect(stallDeadline(failing)).toBe(6000);
    expect(feed(failing, [[5.999, { type: 'deadline' }]]).state.sts).toBe('AVAIL');
    const found = feed(failing, [[6, { type: 'deadline' }]]);
    expect(found.state.sts).toBe('DETECT');
    expect(keysOf(found.effects)).toEqual(['stallWeb', 'kill']);
    expect(stallDeadline(found.state)).toBeNull();
  });

  it('a failure that comes after the deadline declares the stall at once', () => {
    const up = feed(initialStall(stallRule({ retryOverTime: 6, interval: 2 }), 0), [[0, { type: 'processUp' }], [0, { type: 'probeStarted' }], [6, { type: 'deadline' }]]).state;
    expect(keysOf(feed(up, [[6.5, failed()]]).effects)).toEqual(['probeFailed', 'stallWeb', 'kill']);
  });

  it('an answer ends the silence: the deadline goes, and the end of the failures is logged', () => {
    const failing = feed(upAndAnswering(stallRule({ retryOverTime: 6 })), [[2, failed()]]).state;
    const back = feed(failing, [[4, answered]]);
    expect(stallDeadline(back.state)).toBeNull();
    expect(back.effects).toEqual([
      { type: 'log', key: 'probeAnsweredAgain', fields: { name: NAME, block: '_bi_webserv', host: '127.0.0.1', port: 8080, seconds: 4 } },
    ]);
  });

  it('only the first failure of a silence is logged, with host, port and error', () => {
    const run = feed(upAndAnswering(stallRule({ retryOverTime: 600, host: 'web.example' })), [[60, failed('ECONNREFUSED')], [120, failed()], [180, failed()]]);
    expect(run.effects).toEqual([
      {
        type: 'log',
        key: 'probeFailed',
        fields: { name: NAME, block: '_bi_webserv', host: 'web.example', port: 8080, error: 'ECONNREFUSED', retryOver: 600 },
      },
    ]);
  });
});

describe('a probe that cannot tell (issue 8 item 6)', () => {
  const rule = stallRule({ retryOverTime: 6, interval: 2, host: 'no-such-host.invalid' });

  it('shows UNKNOWN, logs once on entering with host, port and error, never counts toward a stall', () => {
    const events: [number, StallEvent][] = [[0, { type: 'processUp' }]];
    for (let second = 0; second <= 60; second += 2) events.push([second, cannotTell()], [second + 1, { type: 'deadline' }]);
    const run = feed(initialStall(rule, 0), events);
    expect(run.state.sts).toBe('UNKNOWN');
    expect(run.effects).toEqual([
      {
        type: 'log',
        key: 'probeCannotTell',
        fields: { name: NAME, block: '_bi_webserv', host: 'no-such-host.invalid', port: 8080, error: 'ENOTFOUND' },
      },
    ]);
    expect(stallDeadline(run.state)).toBeNull();
  });

  it('when probes work again it says so once; the silence starts from the last result that could not tell', () => {
    const unknown = feed(upAndAnswering(rule), [[2, cannotTell()], [4, cannotTell('EAI_AGAIN')], [10, cannotTell()]]).state;
    expect(unknown.cannotTell).toEqual({ since: 2000, error: 'ENOTFOUND' });
    const failing = feed(unknown, [[12, failed('ECONNREFUSED')]]);
    expect(keysOf(failing.effects)).toEqual(['probeCanTellAgain', 'probeFailed']);
    expect(failing.effects[0]).toMatchObject({ fields: { seconds: 10 } });
    expect(failing.state.sts).toBe('INIT');
    // six seconds after the last result that could not tell, not after the last answer at 0
    expect(stallDeadline(failing.state)).toBe(16_000);
    expect(feed(failing.state, [[16, { type: 'deadline' }]]).state.sts).toBe('DETECT');
  });

  it('a server failure before the cause and a cannot-tell after it: nothing accumulates', () => {
    const run = feed(upAndAnswering(rule), [[2, failed()], [4, cannotTell()], [6, { type: 'deadline' }], [8, cannotTell()], [100, { type: 'deadline' }]]);
    expect(run.state.sts).toBe('UNKNOWN');
    expect(keysOf(run.effects)).toEqual(['probeFailed', 'probeCannotTell']);
  });

  it('an answer after UNKNOWN: AVAIL and one message', () => {
    const unknown = feed(upAndAnswering(rule), [[2, cannotTell()]]).state;
    const back = feed(unknown, [[8, answered]]);
    expect(back.state.sts).toBe('AVAIL');
    expect(keysOf(back.effects)).toEqual(['probeCanTellAgain']);
  });

  it('the condition is logged again for a new process', () => {
    const run = feed(upAndAnswering(rule), [[2, cannotTell()], [3, { type: 'processDown' }], [5, { type: 'processUp' }], [5, cannotTell()]]);
    expect(keysOf(run.effects)).toEqual(['probeCannotTell', 'probeCannotTell']);
  });
});
