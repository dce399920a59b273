import { describe, expect, it } from 'vitest';
import { initialStall, probeTimeoutMs, stallTransition, type StallEvent, type StallState } from '../../src/monitor/stall.js';
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

function feed(state: StallState, events: [number, StallEvent][], pid: number | null = 42) {
  let current = state;
  const effects = [];
  for (const [seconds, event] of events) {
    const step = stallTransition(current, event, seconds * 1000, pid);
    current = step.state;
    effects.push(...step.effects);
  }
  return { state: current, effects };
}

describe('stall check', () => {
  it('UNKNOWN until there is a process, INIT until a first answer, then AVAIL', () => {
    const start = initialStall(stallRule(), 0);
    expect(start.sts).toBe('UNKNOWN');
    const up = feed(start, [[0, { type: 'processUp' }]]);
    expect(up.state.sts).toBe('INIT');
    const answered = feed(up.state, [[1, { type: 'probeStarted' }], [1, { type: 'probeResult', ok: true }]]);
    expect(answered.state.sts).toBe('AVAIL');
  });

  it('failures inside the retry-over time are not a stall; past it, Find Web Server Stall and a kill', () => {
    const up = feed(initialStall(stallRule(), 0), [[0, { type: 'processUp' }], [0, { type: 'probeResult', ok: true }]]).state;
    const early = feed(up, [[599, { type: 'probeResult', ok: false }]]);
    expect(early.state.sts).toBe('AVAIL');
    expect(early.effects).toEqual([]);
    const late = feed(up, [[600, { type: 'probeResult', ok: false }]]);
    expect(late.state.sts).toBe('DETECT');
    expect(late.effects).toEqual([
      { type: 'log', key: 'stallWeb', fields: { pid: 42, port: 8080 } },
      { type: 'kill' },
    ]);
  });

  it('a TCP block says Find Socket Service Stall', () => {
    const up = feed(initialStall(stallRule({ kind: 'skt', blockName: '_bi_socket' }), 0), [[0, { type: 'processUp' }]]).state;
    expect(feed(up, [[600, { type: 'probeResult', ok: false }]]).effects[0]).toEqual({
      type: 'log',
      key: 'stallSocket',
      fields: { pid: 42, port: 8080 },
    });
  });

  it('killed: Killed Process, a restart for stall, and the check starts over with the new process', () => {
    const detected = feed(initialStall(stallRule(), 0), [[0, { type: 'processUp' }], [600, { type: 'probeResult', ok: false }]]).state;
    const killed = feed(detected, [[600, { type: 'killed' }]]);
    expect(killed.effects).toEqual([{ type: 'log', key: 'killed', fields: { pid: 42 } }, { type: 'restartForStall' }]);
    const again = feed(killed.state, [[601, { type: 'processDown' }], [605, { type: 'processUp' }]]);
    expect(again.state.sts).toBe('INIT');
    expect(feed(again.state, [[1204, { type: 'probeResult', ok: false }]]).state.sts).toBe('INIT');
  });

  it('EXEC error = 1 ends stall monitoring after one detection; death monitoring is not its business', () => {
    const detected = feed(initialStall(stallRule({ stopAfterDetect: true }), 0), [[0, { type: 'processUp' }], [600, { type: 'probeResult', ok: false }]]).state;
    const after = feed(detected, [[600, { type: 'killed' }], [601, { type: 'processDown' }], [602, { type: 'processUp' }]]);
    expect(after.state).toMatchObject({ sts: 'UNAVAIL', ended: true });
  });

  it('a kill that fails: Can not killed Process, UNAVAIL, and ACTION error = 1 asks for the retry_over_action', () => {
    const detected = feed(initialStall(stallRule(), 0), [[0, { type: 'processUp' }], [600, { type: 'probeResult', ok: false }]]).state;
    const failed = feed(detected, [[600, { type: 'killFailed', error: 'EPERM' }]]);
    expect(failed.state.sts).toBe('UNAVAIL');
    expect(failed.effects).toEqual([
      { type: 'log', key: 'killFailed', fields: { pid: 42, error: 'EPERM' } },
      { type: 'retryOverAction' },
    ]);
    const quiet = feed(initialStall(stallRule({ actionOnKillFail: false }), 0), [[0, { type: 'processUp' }], [600, { type: 'probeResult', ok: false }], [600, { type: 'killFailed', error: 'EPERM' }]]);
    expect(quiet.effects.map((effect) => effect.type)).toEqual(['log', 'kill', 'log']);
  });

  it('a result for a process that went away says nothing', () => {
    const gone = feed(initialStall(stallRule(), 0), [[0, { type: 'processUp' }], [1, { type: 'probeStarted' }], [2, { type: 'processDown' }], [700, { type: 'probeResult', ok: false }]]);
    expect(gone.effects).toEqual([]);
    expect(gone.state.sts).toBe('UNKNOWN');
  });

  it('the per-attempt timeout defaults to the smaller of 10 s and the interval', () => {
    expect(probeTimeoutMs(stallRule({ interval: 60 }))).toBe(10_000);
    expect(probeTimeoutMs(stallRule({ interval: 2 }))).toBe(2000);
    expect(probeTimeoutMs(stallRule({ timeout: 5 }))).toBe(5000);
  });
});
