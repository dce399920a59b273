import { describe, expect, it } from 'vitest';
import {
  initialState,
  retriesInWindow,
  transition,
  TransitionError,
  type EntryEvent,
  type EntryState,
  type Step,
} from '../../src/monitor/entry.js';
import { rule } from '../helpers/rules.js';

const at = (seconds: number) => ({ now: seconds * 1000, wallNow: 1_700_000_000_000 + seconds * 1000 });

function run(state: EntryState, events: [number, EntryEvent][]): Step {
  let step: Step = { state, effects: [] };
  for (const [seconds, event] of events) step = transition(step.state, event, at(seconds));
  return step;
}

const logKeys = (step: Step) => step.effects.flatMap((effect) => (effect.type === 'log' ? [effect.key] : []));

describe('entry state machine', () => {
  it('INIT + found -> AVAIL with an Up message', () => {
    const step = transition(initialState(rule()), { type: 'found', pid: 42, startTime: 7 }, at(0));
    expect(step.state.procSts).toBe('AVAIL');
    expect(step.state.pid).toBe(42);
    expect(step.effects).toEqual([{ type: 'log', key: 'up', fields: { name: '/usr/sbin/testd', pid: 42 } }]);
  });

  it('INIT + notFound -> Set pid fail, then a restart with reason notfound', () => {
    const step = transition(initialState(rule()), { type: 'notFound' }, at(0));
    expect(step.state.procSts).toBe('RESTART');
    expect(logKeys(step)).toEqual(['setPidFail', 'tryRestart']);
    expect(step.effects.at(-1)).toEqual({ type: 'runScript', reason: 'notfound', oldPid: null, retry: 1 });
    expect(step.state.restartCount).toBe(1);
    expect(step.state.rerunTime).toBe(at(0).wallNow);
  });

  it('AVAIL + died -> Down, restart with the old pid; zombie has its own message and reason', () => {
    const up = transition(initialState(rule()), { type: 'found', pid: 42, startTime: 7 }, at(0)).state;
    const gone = transition(up, { type: 'died', how: 'gone' }, at(1));
    expect(logKeys(gone)).toEqual(['down', 'tryRestart']);
    expect(gone.effects.at(-1)).toEqual({ type: 'runScript', reason: 'down', oldPid: 42, retry: 1 });
    const zombie = transition(up, { type: 'died', how: 'zombie' }, at(1));
    expect(logKeys(zombie)).toEqual(['zombie', 'tryRestart']);
    expect(zombie.effects.at(-1)).toMatchObject({ reason: 'zombie' });
    const reused = transition(up, { type: 'died', how: 'reused' }, at(1));
    expect(reused.effects[0]).toEqual({ type: 'log', key: 'down', fields: { name: '/usr/sbin/testd', pid: 42, reason: 'reused' } });
  });

  it('a successful script waits start_wait for the process, then Set pid fail and the next attempt', () => {
    const start = initialState(rule({ startWait: 30 }));
    const waiting = run(start, [
      [0, { type: 'notFound' }],
      [1, { type: 'scriptDone', outcome: 'ok' }],
    ]);
    expect(waiting.state.phase).toEqual({ step: 'waiting', deadline: 31_000 });
    const stillWaiting = transition(waiting.state, { type: 'notFound' }, at(30));
    expect(stillWaiting.effects).toEqual([]);
    const next = transition(waiting.state, { type: 'notFound' }, at(31));
    expect(logKeys(next)).toEqual(['setPidFail', 'tryRestart']);
    expect(next.state.restartCount).toBe(2);
  });

  it('a script that exits non-zero still gets start_wait: found -> Up with counters kept', () => {
    const waiting = run(initialState(rule({ startWait: 30 })), [
      [0, { type: 'notFound' }],
      [1, { type: 'scriptDone', outcome: 'failed' }],
    ]);
    expect(waiting.state.phase).toEqual({ step: 'waiting', deadline: 31_000 });
    expect(transition(waiting.state, { type: 'notFound' }, at(20)).effects).toEqual([]);
    const step = transition(waiting.state, { type: 'found', pid: 50, startTime: 9 }, at(20));
    expect(step.state.procSts).toBe('AVAIL');
    expect(step.state.restartCount).toBe(1);
    expect(retriesInWindow(step.state, 20_000)).toBe(1);
  });

  it('a stall kill waits for death monitoring: the death is logged, the restart has reason stall', () => {
    const killed = run(initialState(rule()), [
      [0, { type: 'found', pid: 50, startTime: 9 }],
      [60, { type: 'stalled' }],
    ]);
    expect(killed.effects).toEqual([]);
    expect(killed.state).toMatchObject({ procSts: 'AVAIL', pid: 50, stallKilled: true });
    for (const how of ['gone', 'zombie'] as const) {
      const died = transition(killed.state, { type: 'died', how }, at(60));
      expect(logKeys(died)).toEqual([how === 'gone' ? 'down' : 'zombie', 'tryRestart']);
      expect(died.effects.at(-1)).toEqual({ type: 'runScript', reason: 'stall', oldPid: 50, retry: 1 });
      expect(died.state.stallKilled).toBe(false);
    }
  });

  it('a script cut off by its timeout gets one immediate look, then the next attempt', () => {
    const waiting = run(initialState(rule({ startWait: 30 })), [
      [0, { type: 'notFound' }],
      [300, { type: 'scriptDone', outcome: 'timeout' }],
    ]);
    expect(waiting.state.phase).toEqual({ step: 'waiting', deadline: 300_000 });
    expect(logKeys(transition(waiting.state, { type: 'notFound' }, at(300)))).toEqual(['setPidFail', 'tryRestart']);
    expect(transition(waiting.state, { type: 'found', pid: 50, startTime: 9 }, at(300)).state.procSts).toBe('AVAIL');
  });

  it('retry over after retry_count restarts inside grace: continue -> UNAVAIL, monitor off', () => {
    let state = transition(initialState(rule({ retryCount: 2 })), { type: 'found', pid: 1, startTime: 1 }, at(0)).state;
    for (let round = 0; round < 2; round += 1) {
      state = run(state, [
        [round * 10 + 1, { type: 'died', how: 'gone' }],
        [round * 10 + 2, { type: 'scriptDone', outcome: 'ok' }],
        [round * 10 + 3, { type: 'found', pid: 10 + round, startTime: 10 + round }],
      ]).state;
    }
    const over = transition(state, { type: 'died', how: 'gone' }, at(30));
    expect(over.state.procSts).toBe('UNAVAIL');
    expect(over.state.monitoring).toBe(false);
    expect(logKeys(over)).toEqual(['down', 'retryOver']);
    expect(over.effects.at(-1)).toEqual({ type: 'retryOver', action: 'continue' });
  });

  it('restarts older than grace no longer count', () => {
    let state = transition(initialState(rule({ retryCount: 1, grace: 60 })), { type: 'found', pid: 1, startTime: 1 }, at(0)).state;
    state = run(state, [
      [1, { type: 'died', how: 'gone' }],
      [2, { type: 'scriptDone', outcome: 'ok' }],
      [3, { type: 'found', pid: 2, startTime: 2 }],
    ]).state;
    expect(retriesInWindow(state, 60_000)).toBe(1);
    expect(retriesInWindow(state, 61_001)).toBe(0);
    const again = transition(state, { type: 'died', how: 'gone' }, at(62));
    expect(again.state.procSts).toBe('RESTART');
    expect(again.state.restartCount).toBe(2);
  });

  it('shutdown and exit are passed on as retryOver effects', () => {
    for (const action of ['shutdown', 'exit'] as const) {
      const step = transition(initialState(rule({ retryCount: 0, retryOverAction: action })), { type: 'notFound' }, at(0));
      expect(step.effects.at(-1)).toEqual({ type: 'retryOver', action });
    }
  });

  it('start re-arms a retried-over entry with its counters cleared', () => {
    const over = transition(initialState(rule({ retryCount: 0 })), { type: 'notFound' }, at(0)).state;
    expect(over.procSts).toBe('UNAVAIL');
    const rearmed = transition(over, { type: 'start' }, at(5));
    expect(rearmed.state).toMatchObject({ procSts: 'INIT', monitoring: true, restartCount: 0, retries: [] });
    expect(logKeys(rearmed)).toEqual(['monitorOn']);
  });

  it('stop and start toggle monitoring and keep the pid', () => {
    const up = transition(initialState(rule()), { type: 'found', pid: 42, startTime: 7 }, at(0)).state;
    const off = transition(up, { type: 'stop' }, at(1));
    expect(off.state).toMatchObject({ monitoring: false, pid: 42, procSts: 'AVAIL' });
    expect(transition(off.state, { type: 'stop' }, at(2)).effects).toEqual([]);
    const on = transition(off.state, { type: 'start' }, at(3));
    expect(on.state).toMatchObject({ monitoring: true, pid: 42 });
  });

  it('an impossible event fails loudly, naming the entry, the state and the event', () => {
    expect(() => transition(initialState(rule()), { type: 'died', how: 'gone' }, at(0))).toThrow(TransitionError);
    expect(() => transition(initialState(rule()), { type: 'scriptDone', outcome: 'ok' }, at(0))).toThrow(
      /pent_id 1 \('\/usr\/sbin\/testd'\): event scriptDone is impossible in INIT/,
    );
  });
});
