// The per-entry process state machine: state × event → state and effects. Pure: no timers, no I/O;
// `now` (monotonic ms) and `wallNow` (epoch ms) come with every event.
import type { EntryRule, RetryOverAction } from '../pfile/types.js';
import type { FieldsOf, MessageKey } from '../log/catalogue.js';

export type ProcSts = 'INIT' | 'AVAIL' | 'DOWN' | 'RESTART' | 'UNAVAIL';
export type RestartReason = 'down' | 'zombie' | 'stall' | 'notfound' | 'limit';
export type ScriptOutcome = 'ok' | 'failed' | 'timeout';

/** Where a RESTART stands: the script is running, or pcheck is looking for the new process. */
export type RestartPhase = { readonly step: 'script' } | { readonly step: 'waiting'; readonly deadline: number };

export interface EntryState {
  readonly rule: EntryRule;
  readonly procSts: ProcSts;
  readonly monitoring: boolean;
  readonly pid: number | null;
  readonly startTime: number | null;
  /** Monotonic ms of each restart inside the grace window (older ones are pruned). */
  readonly retries: readonly number[];
  readonly restartCount: number;
  /** Epoch ms of the last restart, for `rerun_time`. */
  readonly rerunTime: number | null;
  readonly phase: RestartPhase | null;
  readonly reason: RestartReason | null;
  /** The process was killed for a stall: its death, when noticed, is a restart with reason stall. */
  readonly stallKilled: boolean;
  /** The process was signalled for a resource limit (limit_action=restart): its death is a restart with reason limit. */
  readonly limitKilled: boolean;
}

export type EntryEvent =
  | { readonly type: 'found'; readonly pid: number; readonly startTime: number }
  | { readonly type: 'notFound' }
  | { readonly type: 'died'; readonly how: 'gone' | 'reused' | 'zombie' }
  | { readonly type: 'stalled' }
  | { readonly type: 'stallKillFailed' }
  | { readonly type: 'limitBreached' }
  | { readonly type: 'scriptDone'; readonly outcome: ScriptOutcome }
  | { readonly type: 'stop' }
  | { readonly type: 'start' };

export type LogEffect = { [K in MessageKey]: { readonly type: 'log'; readonly key: K; readonly fields: FieldsOf<K> } }[MessageKey];

export type EntryEffect =
  | LogEffect
  | { readonly type: 'runScript'; readonly reason: RestartReason; readonly oldPid: number | null; readonly retry: number }
  | { readonly type: 'retryOver'; readonly action: RetryOverAction };

export interface Clock {
  readonly now: number;
  readonly wallNow: number;
}

export interface Step {
  readonly state: EntryState;
  readonly effects: readonly EntryEffect[];
}

export class TransitionError extends Error {
  constructor(state: EntryState, event: EntryEvent) {
    super(`pent_id ${state.rule.pentId} ('${state.rule.pname}'): event ${event.type} is impossible in ${state.procSts}${state.phase ? `/${state.phase.step}` : ''}`);
  }
}

export function initialState(rule: EntryRule): EntryState {
  return {
    rule,
    procSts: 'INIT',
    monitoring: true,
    pid: null,
    startTime: null,
    retries: [],
    restartCount: 0,
    rerunTime: null,
    phase: null,
    reason: null,
    stallKilled: false,
    limitKilled: false,
  };
}

/** Restarts that still count toward retry_count at `now`. */
export function retriesInWindow(state: EntryState, now: number): number {
  const windowStart = now - state.rule.grace * 1000;
  return state.retries.filter((at) => at > windowStart).length;
}

/** Whether the daemon should look for this entry's process in the next discovery pass. */
export function needsDiscovery(state: EntryState): boolean {
  return state.monitoring && (state.procSts === 'INIT' || state.phase?.step === 'waiting');
}

/** Whether the daemon should watch a known pid for death. */
export function isWatched(state: EntryState): boolean {
  return state.monitoring && state.procSts === 'AVAIL' && state.pid !== null;
}

function log<K extends MessageKey>(key: K, fields: FieldsOf<K>): LogEffect {
  return { type: 'log', key, fields } as LogEffect;
}

// The one entry point: every transition goes through here.
export function transition(state: EntryState, event: EntryEvent, clock: Clock): Step {
  const name = state.rule.pname;
  switch (event.type) {
    case 'stop':
      if (!state.monitoring) return { state, effects: [] };
      return { state: { ...state, monitoring: false }, effects: [log('monitorOff', { name, pentId: state.rule.pentId })] };

    case 'start':
      if (state.procSts === 'UNAVAIL') {
        // UNAVAIL -> INIT: re-armed by padmin start, counters cleared
        return {
          state: { ...initialState(state.rule) },
          effects: [log('monitorOn', { name, pentId: state.rule.pentId })],
        };
      }
      if (state.monitoring) return { state, effects: [] };
      return { state: { ...state, monitoring: true }, effects: [log('monitorOn', { name, pentId: state.rule.pentId })] };

    case 'found':
      if (state.procSts === 'INIT' || (state.procSts === 'RESTART' && state.phase?.step === 'waiting')) {
        // INIT|RESTART -> AVAIL: the process is running
        return {
          state: { ...state, procSts: 'AVAIL', pid: event.pid, startTime: event.startTime, phase: null, reason: null },
          effects: [log('up', { name, pid: event.pid })],
        };
      }
      throw new TransitionError(state, event);

    case 'notFound':
      if (state.procSts === 'INIT') {
        // INIT -> RESTART: nothing to watch at start-up
        return beginRestart(state, 'notfound', [log('setPidFail', { name })], clock);
      }
      if (state.procSts === 'RESTART' && state.phase?.step === 'waiting') {
        if (clock.now < state.phase.deadline) return { state, effects: [] };
        // RESTART -> RESTART: start_wait ran out, the attempt failed; next attempt
        return beginRestart(state, 'notfound', [log('setPidFail', { name })], clock);
      }
      throw new TransitionError(state, event);

    case 'died': {
      if (state.procSts !== 'AVAIL' || state.pid === null) throw new TransitionError(state, event);
      const pid = state.pid;
      const effect =
        event.how === 'zombie' ? log('zombie', { name, pid }) : log('down', { name, pid, reason: event.how });
      // AVAIL -> DOWN -> RESTART: gone, zombie, or its pid now names another process; after a stall
      // kill (or a limit's signal), this is the death that kill caused, and the reason is stall (limit)
      const down: EntryState = { ...state, procSts: 'DOWN', stallKilled: false, limitKilled: false };
      const reason: RestartReason = state.stallKilled
        ? 'stall'
        : state.limitKilled
          ? 'limit'
          : event.how === 'zombie'
            ? 'zombie'
            : 'down';
      return beginRestart(down, reason, [effect], clock);
    }

    case 'stalled': {
      if (state.procSts !== 'AVAIL' || state.pid === null) throw new TransitionError(state, event);
      // AVAIL -> AVAIL: the stall probe killed it; death monitoring notices the death and restarts
      return { state: { ...state, stallKilled: true }, effects: [] };
    }

    case 'limitBreached': {
      if (state.procSts !== 'AVAIL' || state.pid === null) throw new TransitionError(state, event);
      // AVAIL -> AVAIL: signalled for a held limit breach; death monitoring notices the end and restarts
      return { state: { ...state, limitKilled: true }, effects: [] };
    }

    case 'stallKillFailed': {
      if (state.procSts !== 'AVAIL') throw new TransitionError(state, event);
      // AVAIL -> UNAVAIL: a stalled process that survived the kill, with PS_ACTION error = 1
      const action = state.rule.retryOverAction;
      return {
        state: { ...state, procSts: 'UNAVAIL', monitoring: false, phase: null },
        effects: [log('retryOver', { name, action, retries: retriesInWindow(state, clock.now) }), { type: 'retryOver', action }],
      };
    }

    case 'scriptDone': {
      if (state.procSts !== 'RESTART' || state.phase?.step !== 'script') throw new TransitionError(state, event);
      // After the script, whatever its exit status, pcheck looks for the process for start_wait
      // (SPEC §3.2); a script cut off by its timeout failed: one immediate look, then the next attempt.
      const deadline = event.outcome === 'timeout' ? clock.now : clock.now + state.rule.startWait * 1000;
      return { state: { ...state, phase: { step: 'waiting', deadline } }, effects: [] };
    }
  }
}

function beginRestart(state: EntryState, reason: RestartReason, effects: EntryEffect[], clock: Clock): Step {
  const name = state.rule.pname;
  const windowStart = clock.now - state.rule.grace * 1000;
  const retries = state.retries.filter((at) => at > windowStart);
  const oldPid = state.pid;
  if (retries.length + 1 > state.rule.retryCount) {
    const action = state.rule.retryOverAction;
    // -> UNAVAIL: retry over; continue stops monitoring this entry, shutdown and exit end pcheck
    return {
      state: { ...state, procSts: 'UNAVAIL', monitoring: false, retries, pid: null, startTime: null, phase: null, reason },
      effects: [
        ...effects,
        log('retryOver', { name, action, retries: retries.length }),
        { type: 'retryOver', action },
      ],
    };
  }
  const retry = retries.length + 1;
  return {
    state: {
      ...state,
      procSts: 'RESTART',
      retries: [...retries, clock.now],
      restartCount: state.restartCount + 1,
      rerunTime: clock.wallNow,
      pid: null,
      startTime: null,
      phase: { step: 'script' },
      reason,
    },
    effects: [...effects, log('tryRestart', { name, reason, retry }), { type: 'runScript', reason, oldPid, retry }],
  };
}

/** What of an entry's state outlives pcheck itself (SPEC §8): its retry accounting and what an operator paused. */
export interface Carried {
  /** Restarts inside the grace window, on the supervisor's monotonic clock. */
  readonly retries: readonly number[];
  readonly restartCount: number;
  readonly rerunTime: number | null;
  /** false: paused with `padmin -c stop`. */
  readonly monitoring: boolean;
  /** Retried over with `continue`: stays UNAVAIL until `padmin -c start`. */
  readonly retriedOver: boolean;
}

/**
 * The carried part of a state. A retry over that ended pcheck (shutdown, exit) is not carried:
 * starting pcheck again is the operator's re-arm, as `padmin -c start` is for `continue`.
 */
export function carried(state: EntryState): Carried {
  const ended = state.procSts === 'UNAVAIL' && state.rule.retryOverAction !== 'continue';
  return {
    retries: ended ? [] : state.retries,
    restartCount: state.restartCount,
    rerunTime: state.rerunTime,
    monitoring: state.monitoring || ended,
    retriedOver: state.procSts === 'UNAVAIL' && !ended,
  };
}

// INIT -> INIT|UNAVAIL: a new pcheck takes over what the previous one carried
export function restore(state: EntryState, saved: Carried): EntryState {
  if (state.procSts !== 'INIT') throw new Error(`pent_id ${state.rule.pentId}: state can only be restored before monitoring begins (${state.procSts})`);
  return {
    ...state,
    retries: saved.retries,
    restartCount: saved.restartCount,
    rerunTime: saved.rerunTime,
    monitoring: saved.monitoring && !saved.retriedOver,
    procSts: saved.retriedOver ? 'UNAVAIL' : 'INIT',
  };
}
