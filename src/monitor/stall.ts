// The stall check of one `_bi_*` block: state × event → state and effects. Pure; `now` is monotonic ms.
import type { StallSts } from '../control/views.js';
import { stallTimeout, type StallRule } from '../pfile/types.js';
import type { LogEffect } from './entry.js';

export interface StallState {
  readonly rule: StallRule;
  readonly sts: StallSts;
  /** Whether the entry has a live process to probe. */
  readonly watching: boolean;
  /** Start of the current silence: the last success, or when watching began. */
  readonly silentSince: number;
  readonly inFlight: boolean;
  /** Set when EXEC error = 1 ended stall monitoring after a detection, or when a kill failed. */
  readonly ended: boolean;
}

export type StallEvent =
  | { readonly type: 'processUp' }
  | { readonly type: 'processDown' }
  | { readonly type: 'probeStarted' }
  | { readonly type: 'probeResult'; readonly ok: boolean }
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

export function initialStall(rule: StallRule, now: number): StallState {
  return { rule, sts: 'UNKNOWN', watching: false, silentSince: now, inFlight: false, ended: false };
}

/** Per-attempt timeout in ms: the block's, else the smaller of 10 s and the interval. */
export function probeTimeoutMs(rule: StallRule): number {
  return stallTimeout(rule) * 1000;
}

/** Whether a probe should be started now (the daemon schedules by interval). */
export function wantsProbe(state: StallState): boolean {
  return state.watching && !state.ended && !state.inFlight;
}

// The one entry point: every transition goes through here.
export function stallTransition(state: StallState, event: StallEvent, now: number, pid: number | null): StallStep {
  switch (event.type) {
    case 'processUp':
      // UNKNOWN|DETECT -> INIT: a (new) process to watch; the check starts over unless it has ended
      if (state.ended) return { state: { ...state, watching: true, sts: 'UNAVAIL' }, effects: [] };
      return { state: { ...state, watching: true, sts: 'INIT', silentSince: now, inFlight: false }, effects: [] };

    case 'processDown':
      // * -> UNKNOWN: nothing to probe while the entry has no process
      return { state: { ...state, watching: false, sts: state.ended ? 'UNAVAIL' : state.sts === 'DETECT' ? 'DETECT' : 'UNKNOWN' }, effects: [] };

    case 'probeStarted':
      return { state: { ...state, inFlight: true }, effects: [] };

    case 'probeResult': {
      const settled = { ...state, inFlight: false };
      // a result for a process that is gone, or after the check ended, says nothing
      if (!state.watching || state.ended || state.sts === 'DETECT') return { state: settled, effects: [] };
      // INIT|AVAIL -> AVAIL: it answered
      if (event.ok) return { state: { ...settled, sts: 'AVAIL', silentSince: now }, effects: [] };
      if (now - state.silentSince < state.rule.retryOverTime * 1000 || pid === null) return { state: settled, effects: [] };
      // INIT|AVAIL -> DETECT: silent for the retry-over time
      const port = state.rule.port;
      const found: LogEffect =
        state.rule.kind === 'skt'
          ? { type: 'log', key: 'stallSocket', fields: { pid, port } }
          : { type: 'log', key: 'stallWeb', fields: { pid, port } };
      return { state: { ...settled, sts: 'DETECT' }, effects: [found, { type: 'kill' }] };
    }

    case 'killed': {
      if (pid === null) throw new Error(`stall check ${state.rule.blockName}: killed without a pid`);
      // DETECT -> DETECT: the process is gone; EXEC error = 1 ends stall monitoring here
      return {
        state: { ...state, watching: false, ended: state.rule.stopAfterDetect },
        effects: [{ type: 'log', key: 'killed', fields: { pid } }, { type: 'restartForStall' }],
      };
    }

    case 'end':
      // * -> UNAVAIL
      return { state: { ...state, sts: 'UNAVAIL', ended: true }, effects: [] };

    case 'killFailed': {
      if (pid === null) throw new Error(`stall check ${state.rule.blockName}: kill failed without a pid`);
      // DETECT -> UNAVAIL: the stalled process survived the kill; stall monitoring of the entry stops
      const effects: StallEffect[] = [{ type: 'log', key: 'killFailed', fields: { pid, error: event.error } }];
      if (state.rule.actionOnKillFail) effects.push({ type: 'retryOverAction' });
      return { state: { ...state, sts: 'UNAVAIL', ended: true }, effects };
    }
  }
}
