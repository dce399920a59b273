// The per-entry resource-limit machine: a breach starts with a sample over the limit, counts once
// it has lasted `hold` seconds (and fires once), and ends with a sample at or under it. Pure: no
// timers, no I/O; samples and `now` (monotonic ms) come from the daemon.
import type { EntryLimits } from '../pfile/types.js';
import type { LogEffect } from './entry.js';

export type LimitKind = 'rss' | 'cpu';

/** One reading of a process; null: not known this time (a first CPU reading, a failed read). */
export interface UsageSample {
  readonly cpuPercent: number | null;
  readonly rssBytes: number | null;
}

/** Where one limit stands: `since` the first sample of the current breach, and whether it fired. */
export interface LimitTrack {
  readonly since: number | null;
  readonly fired: boolean;
}

export interface LimitsState {
  readonly rss: LimitTrack;
  readonly cpu: LimitTrack;
}

export type LimitsEffect = LogEffect | { readonly type: 'restartForLimit'; readonly kind: LimitKind };

export interface LimitsStep {
  readonly state: LimitsState;
  readonly effects: readonly LimitsEffect[];
}

const CLEAR: LimitTrack = Object.freeze({ since: null, fired: false });

/** A process just found: no breach yet. */
export function initialLimits(): LimitsState {
  return { rss: CLEAR, cpu: CLEAR };
}

/** Feeds one sample of the process `pid`; with several limits breached at once, one restart is asked. */
export function limitsTransition(
  limits: EntryLimits,
  state: LimitsState,
  sample: UsageSample,
  context: { readonly now: number; readonly name: string; readonly pid: number },
): LimitsStep {
  const effects: LimitsEffect[] = [];
  const rss = track('rss', limits.maxRss, sample.rssBytes, state.rss, limits, context, effects);
  const cpu = track('cpu', limits.maxCpu, sample.cpuPercent, state.cpu, limits, context, effects);
  const restarts = effects.filter((effect) => effect.type === 'restartForLimit');
  const others = effects.filter((effect) => effect.type !== 'restartForLimit');
  return { state: { rss, cpu }, effects: restarts.length > 0 ? [...others, restarts[0] as LimitsEffect] : others };
}

function track(
  kind: LimitKind,
  limit: number | null,
  value: number | null,
  current: LimitTrack,
  limits: EntryLimits,
  context: { readonly now: number; readonly name: string; readonly pid: number },
  effects: LimitsEffect[],
): LimitTrack {
  // no limit, or nothing known this time: the breach neither grows nor ends
  if (limit === null || value === null) return current;
  const fields = { name: context.name, pid: context.pid, kind, value, limit };
  if (value <= limit) {
    // breach -> clear: a sample at or under the limit; a spike shorter than the hold ends here silently
    if (current.fired) effects.push({ type: 'log', key: 'limitCleared', fields });
    return CLEAR;
  }
  // clear -> breach: the hold starts with the first sample over the limit
  const since = current.since ?? context.now;
  if (current.fired || context.now - since < limits.hold * 1000) return { since, fired: current.fired };
  // breach -> fired: held for `hold` seconds; said once, acted on once
  effects.push({ type: 'log', key: 'limitBreached', fields: { ...fields, hold: limits.hold, action: limits.action } });
  if (limits.action === 'restart') effects.push({ type: 'restartForLimit', kind });
  return { since, fired: true };
}
