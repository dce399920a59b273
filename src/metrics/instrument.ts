// Timing wrappers around the supervisor's effects: the histograms are fed without the supervisor knowing.
import { performance } from 'node:perf_hooks';
import type { EntryRef } from '../events/stream.js';
import type { StallKind } from '../pfile/types.js';
import type { ProbeResult, ProbeTarget } from '../probes/types.js';
import type { ScriptOptions, ScriptResult } from '../system/script.js';
import type { PcheckMetrics } from './registry.js';

type RunScript = (path: string, options: ScriptOptions) => Promise<ScriptResult>;
type ProbeOf = (kind: StallKind, target: ProbeTarget, entry?: EntryRef) => Promise<ProbeResult>;

/** runScript that observes each run's duration under the entry its environment names (PS_PENT_ID, PS_PNAME). */
export function timedScript(runScript: RunScript, metrics: PcheckMetrics): RunScript {
  return async (path, options) => {
    const started = performance.now();
    try {
      return await runScript(path, options);
    } finally {
      const { PS_PENT_ID: pentId, PS_PNAME: pname } = options.env;
      if (pentId !== undefined && pname !== undefined) metrics.observeScript({ pentId: Number(pentId), pname }, (performance.now() - started) / 1000);
    }
  };
}

/** A probe that observes its duration and, when it failed, its fault, under its entry. */
export function timedProbe(probe: ProbeOf, metrics: PcheckMetrics): ProbeOf {
  return async (kind, target, entry) => {
    const started = performance.now();
    const result = await probe(kind, target, entry);
    if (entry !== undefined) metrics.observeProbe(entry, kind, (performance.now() - started) / 1000, result.ok ? null : result.fault);
    return result;
  };
}

/** Runs a step and observes how long it took. */
export function timed(step: () => void, observe: (seconds: number) => void): void {
  const started = performance.now();
  try {
    step();
  } finally {
    observe((performance.now() - started) / 1000);
  }
}
