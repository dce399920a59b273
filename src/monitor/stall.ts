// The stall check of one `_bi_*` block: state × event → state and effects. Pure; `now` is monotonic ms.
import type { StallSts } from '../control/views.js';
import { DEFAULTS, stallTimeout, type StallRule } from '../pfile/types.js';
import type { ProbeResult } from '../probes/types.js';
import type { LogEffect } from './entry.js';

export interface StallState {
  readonly rule: StallRule;
  readonly sts: StallSts;
  /** Whether the entry has a live process to probe. */
  readonly watching: boolean;
  /** Start of the current silence: the last answer, the last result that could not tell, or when watching began. */
  readonly silentSince: number;
  /** Monotonic ms the probe in flight was started; null when none is. */
  readonly probeSince: number | null;
  /** The latest failure by the server's fault in this silence, the evidence a stall needs; null = none yet. */
  readonly failure: string | null;
  /** Since when and why probes cannot tell (sts UNKNOWN while watching); null while they can. */
  readonly cannotTell: { readonly since: number; readonly error: string } | null;
  /** Set when EXEC error = 1 ended stall monitoring after a detection, or when a kill failed. */
  readonly ended: boolean;
}

export type StallEvent =
  | { readonly type: 'processUp' }
  | { readonly type: 'processDown' }
  | { readonly type: 'probeStarted' }
  | { readonly type: 'probeResult'; readonly result: ProbeResult }
  /** The time stallDeadline() named has come. */
  | { readonly type: 'deadline' }
  | { readonly type: 'killed' }
  | { readonly type: 'killFailed'; readonly error: string }
  /** Another block of the same entry failed its kill: stall monitoring of the entry stops. */
  | { readonly type: 'end' };

export type StallEffect =
  | LogEffect
  | { readonly type: 'kill' }
  /** The entry's process was killed for a stall: restart it with reason stall. */
  | { readonly type: 'restartForStall' }
  /** The kill failed and PS_ACTION error = 1: perform the entry's retry_over_action. */
  | { readonly type: 'retryOverAction' };

export interface StallStep {
  readonly state: StallState;
  readonly effects: readonly StallEffect[];
}

/** What a transition needs besides the state: the monotonic clock, the entry's pid and its name for the log. */
export interface StallContext {
  readonly now: number;
  readonly pid: number | null;
  readonly name: string;
}

export function initialStall(rule: StallRule, now: number): StallState {
  return { rule, sts: 'UNKNOWN', watching: false, silentSince: now, probeSince: null, failure: null, cannotTell: null, ended: false };
}

/**
 * Per-attempt timeout in ms: the block's, else the smaller of 10 s and the interval; never longer
 * than the retry-over time, since an answer later than that comes too late to prevent a stall.
 */
export function probeTimeoutMs(rule: StallRule): number {
  return Math.min(stallTimeout(rule), rule.retryOverTime) * 1000;
}

/** Whether a probe should be started now (the daemon schedules by interval). */
export function wantsProbe(state: StallState): boolean {
  return state.watching && !state.ended && state.probeSince === null;
}

/**
 * Monotonic ms at which the stall is due if no answer comes first: the retry-over time after the
 * silence began, once a probe of this silence has failed by the server's fault; null while there is
 * no such evidence (a process just found, whose first probe is still in flight, is not killed).
 */
export function stallDeadline(state: StallState): number | null {
  if (!state.watching || state.ended || state.sts === 'DETECT' || state.failure === null) return null;
  return state.silentSince + state.rule.retryOverTime * 1000;
}

// The one entry point: every transition goes through here.
export function stallTransition(state: StallState, event: StallEvent, at: StallContext): StallStep {
  const { now, pid } = at;
  switch (event.type) {
    case 'processUp':
      // UNKNOWN|DETECT -> INIT: a (new) process to watch; the check starts over unless it has ended
      if (state.ended) return { state: { ...state, watching: true, sts: 'UNAVAIL', probeSince: null }, effects: [] };
      return {
        state: { ...state, watching: true, sts: 'INIT', silentSince: now, probeSince: null, failure: null, cannotTell: null },
        effects: [],
      };

    case 'processDown':
      // * -> UNKNOWN: nothing to probe while the entry has no process
      return {
        state: {
          ...state,
          watching: false,
          probeSince: null,
          cannotTell: null,
          sts: state.ended ? 'UNAVAIL' : state.sts === 'DETECT' ? 'DETECT' : 'UNKNOWN',
        },
        effects: [],
      };

    case 'probeStarted':
      return { state: { ...state, probeSince: now }, effects: [] };

    case 'probeResult': {
      const settled = { ...state, probeSince: null };
      // a result for a process that is gone, or after the check ended, says nothing
      if (!state.watching || state.ended || state.sts === 'DETECT') return { state: settled, effects: [] };
      const { result } = event;
      const effects: StallEffect[] = [];
      if (state.cannotTell !== null && (result.ok || result.fault === 'server')) {
        // UNKNOWN -> (AVAIL|INIT): the probe reaches the server again
        effects.push(log('probeCanTellAgain', { ...where(state, at), seconds: seconds(now - state.cannotTell.since) }));
      }
      if (result.ok) {
        // INIT|AVAIL|UNKNOWN -> AVAIL: it answered; a silence with failures ends here
        if (state.failure !== null) effects.push(log('probeAnsweredAgain', { ...where(state, at), seconds: seconds(now - state.silentSince) }));
        return { state: { ...settled, sts: 'AVAIL', silentSince: now, failure: null, cannotTell: null }, effects };
      }
      if (result.fault === 'unknown') {
        // * -> UNKNOWN: not the server's fault; the silence starts over once probes can tell again
        if (state.cannotTell === null) effects.push(log('probeCannotTell', { ...where(state, at), error: result.error }));
        const cannotTell = state.cannotTell ?? { since: now, error: result.error };
        return { state: { ...settled, sts: 'UNKNOWN', silentSince: now, failure: null, cannotTell }, effects };
      }
      // the server's fault: the first one of a silence is logged, each one is evidence toward a stall
      if (state.failure === null) {
        effects.push(log('probeFailed', { ...where(state, at), error: result.error, retryOver: state.rule.retryOverTime }));
      }
      const failing: StallState = {
        ...settled,
        sts: state.cannotTell === null ? state.sts : 'INIT',
        failure: result.error,
        cannotTell: null,
      };
      return detectIfDue(failing, effects, at);
    }

    case 'deadline':
      return detectIfDue(state, [], at);

    case 'killed': {
      if (pid === null) throw new Error(`stall check ${state.rule.blockName}: killed without a pid`);
      // DETECT -> DETECT: the process is gone; EXEC error = 1 ends stall monitoring here
      return {
        state: { ...state, watching: false, probeSince: null, ended: state.rule.stopAfterDetect },
        effects: [log('killed', { pid }), { type: 'restartForStall' }],
      };
    }

    case 'end':
      // * -> UNAVAIL
      return { state: { ...state, sts: 'UNAVAIL', ended: true }, effects: [] };

    case 'killFailed': {
      if (pid === null) throw new Error(`stall check ${state.rule.blockName}: kill failed without a pid`);
      // DETECT -> UNAVAIL: the stalled process survived the kill; stall monitoring of the entry stops
      const effects: StallEffect[] = [log('killFailed', { pid, error: event.error })];
      if (state.rule.actionOnKillFail) effects.push({ type: 'retryOverAction' });
      return { state: { ...state, sts: 'UNAVAIL', ended: true }, effects };
    }
  }
}

// INIT|AVAIL -> DETECT when the deadline has passed with a failure by the server's fault in this silence.
function detectIfDue(state: StallState, effects: StallEffect[], at: StallContext): StallStep {
  const deadline = stallDeadline(state);
  if (deadline === null || at.now < deadline || at.pid === null) return { state, effects };
  const { port } = state.rule;
  const fields = { pid: at.pid, port, host: hostOf(state.rule), error: state.failure ?? '' };
  effects.push(log(state.rule.kind === 'skt' ? 'stallSocket' : 'stallWeb', fields), { type: 'kill' });
  return { state: { ...state, sts: 'DETECT' }, effects };
}

function hostOf(rule: StallRule): string {
  return rule.host ?? DEFAULTS.stallHost;
}

// The fields every probe message carries: which entry, which block, where it probes.
function where(state: StallState, at: StallContext) {
  return { name: at.name, block: state.rule.blockName, host: hostOf(state.rule), port: state.rule.port };
}

function seconds(ms: number): number {
  return Math.round(ms / 100) / 10;
}

function log<K extends LogEffect['key']>(key: K, fields: Extract<LogEffect, { key: K }>['fields']): LogEffect {
  return { type: 'log', key, fields } as LogEffect;
}
