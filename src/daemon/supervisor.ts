// Drives the entry state machines: feeds them what /proc says, carries out their effects.
// Owns no timers: the daemon calls livenessTick() and fullCheck() on its schedule.
import { createHash } from 'node:crypto';
import type { PentView } from '../control/views.js';
import { formatRerunTime } from '../control/views.js';
import type { EntryRef, Emitter } from '../events/stream.js';
import {
  initialState,
  isWatched,
  needsDiscovery,
  retriesInWindow,
  transition,
  type EntryEffect,
  carried,
  restore,
  type Carried,
  type EntryEvent,
  type EntryState,
} from '../monitor/entry.js';
import { initialLimits, limitsTransition, type LimitsEffect, type LimitsState } from '../monitor/limits.js';
import { choose, compileArgs, ProcIndex } from '../monitor/match.js';
import {
  initialStall,
  probeTimeoutMs,
  stallDeadline,
  stallTransition,
  wantsProbe,
  type StallEffect,
  type StallEvent,
  type StallState,
} from '../monitor/stall.js';
import type { ProbeResult, ProbeTarget } from '../probes/types.js';
import { DEFAULTS, type Config, type EntryRule, type RetryOverAction, type StallKind, type StallRule } from '../pfile/types.js';
import { ProcUnreadable, type Liveness, type ProcInfo, type StatFields } from '../system/proc.js';
import type { ScriptOptions, ScriptResult } from '../system/script.js';
import type { Usage, UsageSample } from '../system/usage.js';

/** A cheap handle on one known process. */
export interface Watch {
  check(): Liveness;
  close(): void;
}

/**
 * Everything the supervisor asks of the OS; the daemon passes the real one, tests a fake. scan,
 * watch and statOf throw ProcUnreadable when /proc cannot be read for lack of descriptors or
 * memory: such a read says nothing about any process.
 */
export interface SupervisorDeps {
  readonly now: () => number;
  readonly wallNow: () => number;
  /**
   * Every process. A promise: a scan in slices, the event loop free between them (the daemon's);
   * the supervisor has at most one on its way and serves every entry waiting meanwhile from it.
   */
  readonly scan: () => ProcInfo[] | Promise<ProcInfo[]>;
  readonly watch: (pid: number, startTime: number) => Watch | null;
  readonly statOf: (pid: number) => StatFields | null;
  /** Throws ProcUnreadable when the file cannot be read for lack of descriptors. */
  readonly readPidfile: (path: string) => number | null;
  readonly runScript: (path: string, options: ScriptOptions) => Promise<ScriptResult>;
  /** `entry`: whose block the probe is (for the metrics' labels). */
  readonly probe: (kind: StallKind, target: ProbeTarget, entry?: EntryRef) => Promise<ProbeResult>;
  /** Sends `signal` (SIGKILL when not given); null when sent, else why not. */
  readonly kill: (pid: number, signal?: 'SIGTERM' | 'SIGKILL') => string | null;
  /** CPU and RSS of the pids, in one call; absent: no resource sampling (usageTick does nothing). */
  readonly usage?: (pids: readonly number[]) => Promise<UsageSample>;
  /** PEM text of a CA file for verifying HTTPS probes (tls_ca=); throws when the file cannot be read. */
  readonly readCa: (path: string) => string;
  /** A one-shot timer; returns its cancel function. */
  readonly after: (ms: number, callback: () => void) => () => void;
  /** Where events go: the daemon's event stream. */
  readonly log: () => Emitter;
  /** Called when an entry retried over with `shutdown` or `exit`. */
  readonly onFatalRetryOver: (action: Exclude<RetryOverAction, 'continue'>, rule: EntryRule) => void;
  /**
   * Called when what an entry carries to a later pcheck changed (a restart, a pause, a retry over),
   * before that change's messages are written: whoever reads the message may kill -9 pcheck next.
   */
  readonly onCarriedChange?: () => void;
}

/** An entry's carried state with the identity of its rule, for the state file. */
export interface CarriedEntry {
  /** The rule's identity: a reload or a new pcheck matches entries by it, whatever their position. */
  readonly key: string;
  readonly pentId: number;
  readonly pname: string;
  readonly carried: Carried;
}

/** After the SIGTERM of a limit restart, how long the process has to end before SIGKILL. */
export const LIMIT_KILL_GRACE_MS = 10_000;

/** Discovery driven by the liveness tick scans /proc at most this often. */
const DISCOVERY_MIN_GAP_MS = 500;

/**
 * A finished restart script asks for discovery this long later, and every script finishing
 * meanwhile joins it: a burst of K restarts costs about one scan per window, not K.
 */
export const DISCOVERY_COALESCE_MS = 25;

/** Stall blocks that come up together have their first probes this far apart. */
export const PROBE_SLOT_MS = 1;

interface StallRuntime {
  state: StallState;
  /** Monotonic ms the next probe is due at; probes keep their cadence however long one takes. */
  dueAt: number;
  cancelTimer: (() => void) | null;
  /** The timer that asks the check again at its stall deadline (stallDeadline), and that deadline. */
  cancelDeadline: (() => void) | null;
  deadlineAt: number | null;
  /** Changes whenever the watched process does: a result of a probe sent to an older one is dropped. */
  generation: number;
}

function newStallRuntime(rule: StallRule, now: number): StallRuntime {
  return { state: initialStall(rule, now), dueAt: now, cancelTimer: null, cancelDeadline: null, deadlineAt: null, generation: 0 };
}

interface Runtime {
  state: EntryState;
  watch: Watch | null;
  /** The last check of this entry's process could not be made (ProcUnreadable): its state is unknown. */
  unknown: boolean;
  readonly argsTest: ((commandLine: string) => boolean) | null;
  stalls: StallRuntime[];
  /** Resource limits of the current process, and its last usage sample (null: none yet). */
  limits: LimitsState;
  usage: Usage | null;
  /** Cancels the SIGKILL that follows a limit restart's SIGTERM. */
  cancelLimitKill: (() => void) | null;
}

const ruleKeys = new WeakMap<EntryRule, string>();

/**
 * The identity of a rule across reloads: everything but its position in the file. Made once per
 * rule (a reload asks for the old rules' and the new ones', and the state file for every one).
 */
function ruleKey(rule: EntryRule): string {
  let key = ruleKeys.get(rule);
  if (key === undefined) {
    key = JSON.stringify({ ...rule, pentId: 0, line: 0, stall: rule.stall.map((stall) => ({ ...stall, line: 0 })) });
    ruleKeys.set(rule, key);
  }
  return key;
}

function entryRef(runtime: Runtime): EntryRef {
  return { pentId: runtime.state.rule.pentId, pname: runtime.state.rule.pname };
}

function carriedChanged(before: EntryState, after: EntryState): boolean {
  const a = carried(before);
  const b = carried(after);
  return (
    a.retries !== b.retries ||
    a.restartCount !== b.restartCount ||
    a.rerunTime !== b.rerunTime ||
    a.monitoring !== b.monitoring ||
    a.retriedOver !== b.retriedOver
  );
}

const ruleIds = new WeakMap<EntryRule, string>();

/** ruleKey, short enough to store; computed once per rule (the state file asks for all of them at every change). */
export function ruleId(rule: EntryRule): string {
  let id = ruleIds.get(rule);
  if (id === undefined) {
    id = createHash('sha256').update(ruleKey(rule)).digest('hex').slice(0, 24);
    ruleIds.set(rule, id);
  }
  return id;
}

export class Supervisor {
  private runtimes: Runtime[];
  private stopped = false;
  private lastScan = Number.NEGATIVE_INFINITY;
  /** Why /proc cannot be read now (EMFILE, ...), null while it can: logged once when it starts and once when it ends. */
  private blindness: string | null = null;
  /** A usage sample is on its way: the next tick is skipped rather than queued behind it. */
  private sampling = false;
  /** Monotonic ms of the first failed usage sample of the current spell; null while samples succeed. */
  private usageFailingSince: number | null = null;
  /** The pending discovery asked for by finished scripts (DISCOVERY_COALESCE_MS); its cancel function. */
  private cancelCoalesced: (() => void) | null = null;
  /** A scan in slices is on its way; `rescan`: discovery was asked for meanwhile, for entries it does not serve. */
  private scanning = false;
  private rescan = false;
  /**
   * Inside batch(): the effects of the entries' transitions wait for its end, and the carried state
   * is saved once before them, not once per entry (a tick that sees 100 deaths writes it once).
   */
  private batching = 0;
  private batchCarried = false;
  private readonly batchEffects: (() => void)[] = [];
  /** Monotonic ms the next stall block that comes up may have its first probe at (stallsUp). */
  private nextProbeSlot = Number.NEGATIVE_INFINITY;

  constructor(
    private config: Config,
    private readonly deps: SupervisorDeps,
  ) {
    this.runtimes = config.entries.map((rule) => this.newRuntime(rule));
  }

  /** Between full checks: one read of each known process's stat, and discovery for entries that wait. */
  livenessTick(): void {
    this.batch(() => this.checkLiveness());
  }

  private checkLiveness(): void {
    for (const runtime of this.runtimes) {
      if (isWatched(runtime.state) && runtime.watch !== null) this.checkHandle(runtime, runtime.watch);
    }
    if (this.deps.now() - this.lastScan >= DISCOVERY_MIN_GAP_MS) this.discover();
  }

  private checkHandle(runtime: Runtime, watch: Watch): void {
    const liveness = watch.check();
    if (liveness === 'unknown') {
      this.cannotTell(runtime, 'EMFILE');
      return;
    }
    runtime.unknown = false;
    if (liveness !== 'alive') this.processDied(runtime, liveness);
  }

  /**
   * Every MonitorInterval: each known pid checked again, and discovery. A pid with a liveness handle
   * is read through it (bound to the process, or by path comparing the start time: one read, where
   * a fresh read by path costs an open and a close more); one without, by path and start time.
   */
  fullCheck(): void {
    this.batch(() => this.checkFully());
  }

  private checkFully(): void {
    for (const runtime of this.runtimes) {
      const { state } = runtime;
      if (!isWatched(state) || state.pid === null) continue;
      if (runtime.watch !== null) {
        this.checkHandle(runtime, runtime.watch);
        continue;
      }
      let stat: StatFields | null;
      try {
        stat = this.deps.statOf(state.pid);
      } catch (error) {
        if (!(error instanceof ProcUnreadable)) throw error;
        this.cannotTell(runtime, error.code);
        continue;
      }
      runtime.unknown = false;
      if (stat === null || stat.startTime !== state.startTime) this.processDied(runtime, 'gone');
      else if (stat.state === 'Z' || stat.state === 'X') this.processDied(runtime, 'zombie');
      // watched by path since a check that could not open its descriptor: take one again
      else if (runtime.watch === null) this.rewatch(runtime);
    }
    this.discover(true);
  }

  /**
   * Every UsageInterval: one sample of every watched process's CPU and RSS, fed to the limit
   * machines. Asynchronous: the liveness tick never waits for it; a tick while one runs is skipped.
   */
  usageTick(): void {
    const usage = this.deps.usage;
    if (usage === undefined || this.sampling || this.stopped) return;
    const sampled = this.runtimes.filter((runtime) => isWatched(runtime.state));
    if (sampled.length === 0) return;
    const pids = sampled.map((runtime) => ({ runtime, pid: runtime.state.pid as number }));
    this.sampling = true;
    usage(pids.map(({ pid }) => pid)).then(
      (sample) => {
        this.sampling = false;
        if (this.stopped) return;
        this.usageWorks();
        const current = new Set(this.runtimes);
        for (const { runtime, pid } of pids) {
          // a reload dropped the entry, or its process changed while the sample ran
          if (!current.has(runtime) || !isWatched(runtime.state) || runtime.state.pid !== pid) continue;
          const reading = sample.get(pid) ?? null;
          runtime.usage = reading;
          if (reading !== null) this.feedLimits(runtime, reading);
        }
      },
      (error: unknown) => {
        this.sampling = false;
        if (this.stopped) return;
        for (const { runtime } of pids) runtime.usage = null;
        if (this.usageFailingSince !== null) return;
        this.usageFailingSince = this.deps.now();
        this.deps.log().emit('usageUnreadable', { error: (error as Error).message ?? String(error) });
      },
    );
  }

  /** pause (`stop`) or resume (`start`) monitoring of every entry or of one pent_id; false if no such entry. */
  setMonitoring(on: boolean, pentId?: number): boolean {
    const targets = this.select(pentId);
    if (targets === null) return false;
    this.batch(() => {
      for (const runtime of targets) {
        if (!on) this.unwatch(runtime);
        this.feed(runtime, { type: on ? 'start' : 'stop' });
        if (on) this.rewatch(runtime);
      }
      if (on) this.discover();
    });
    return true;
  }

  /** Views for `show pent`; null when pentId names no entry. */
  views(pentId?: number): PentView[] | null {
    const targets = this.select(pentId);
    if (targets === null) return null;
    const now = this.deps.now();
    return targets.map((runtime) => {
      const { state, stalls } = runtime;
      return {
      pname: state.rule.pname,
      pid: state.pid,
      retry_count: retriesInWindow(state, now),
      restart_count: state.restartCount,
      proc_sts: runtime.unknown ? 'UNKNOWN' : state.procSts,
      stall_chk: stalls.map((stall) => ({ kind: stall.state.rule.kind, state: stall.state.sts })),
      retry_over_act: state.rule.retryOverAction,
      rerun_time: state.rerunTime === null ? null : formatRerunTime(state.rerunTime),
      pent_id: state.rule.pentId,
      monitor_sts: state.monitoring ? 'on' : 'off',
      cpu_percent: runtime.usage?.cpuPercent ?? null,
      rss_bytes: runtime.usage?.rssBytes ?? null,
      };
    });
  }

  rules(pentId?: number): EntryRule[] | null {
    const targets = this.select(pentId);
    return targets === null ? null : targets.map((runtime) => runtime.state.rule);
  }

  /** Swaps in a new configuration: unchanged entries keep their pid and counters. */
  reload(config: Config): { kept: number; added: number; removed: number } {
    const byKey = new Map<string, Runtime[]>();
    for (const runtime of this.runtimes) {
      const key = ruleKey(runtime.state.rule);
      byKey.set(key, [...(byKey.get(key) ?? []), runtime]);
    }
    let kept = 0;
    const next = config.entries.map((rule) => {
      const previous = byKey.get(ruleKey(rule))?.shift();
      if (previous === undefined) return this.newRuntime(rule);
      kept += 1;
      previous.state = { ...previous.state, rule };
      previous.stalls.forEach((stall, index) => {
        const stallRule = rule.stall[index];
        if (stallRule !== undefined) stall.state = { ...stall.state, rule: stallRule };
      });
      return previous;
    });
    const leftovers = [...byKey.values()].flat();
    for (const runtime of leftovers) {
      this.unwatch(runtime);
      this.cancelProbes(runtime);
      this.processChanged(runtime);
    }
    this.runtimes = next;
    this.config = config;
    this.batch(() => this.discover());
    this.deps.onCarriedChange?.();
    return { kept, added: next.length - kept, removed: leftovers.length };
  }

  /** What every entry carries over to a later pcheck. */
  carriedState(): CarriedEntry[] {
    return this.runtimes.map(({ state }) => ({ key: ruleId(state.rule), pentId: state.rule.pentId, pname: state.rule.pname, carried: carried(state) }));
  }

  /**
   * Before the first check: gives each entry the carried state saved for the same rule (one saved
   * entry per entry). Returns how many were restored and how many saved ones matched no entry.
   */
  restoreCarried(saved: readonly CarriedEntry[]): { restored: number; dropped: number } {
    const byKey = new Map<string, CarriedEntry[]>();
    for (const entry of saved) byKey.set(entry.key, [...(byKey.get(entry.key) ?? []), entry]);
    let restored = 0;
    for (const runtime of this.runtimes) {
      const match = byKey.get(ruleId(runtime.state.rule))?.shift();
      if (match === undefined || runtime.state.procSts !== 'INIT') continue;
      runtime.state = restore(runtime.state, match.carried);
      restored += 1;
    }
    return { restored, dropped: saved.length - restored };
  }

  get currentConfig(): Config {
    return this.config;
  }

  /** Stops acting: no event is fed after this, running scripts are left to finish on their own. */
  stop(): void {
    this.stopped = true;
    this.cancelCoalesced?.();
    this.cancelCoalesced = null;
    for (const runtime of this.runtimes) {
      this.unwatch(runtime);
      this.cancelProbes(runtime);
      this.processChanged(runtime);
    }
  }

  private newRuntime(rule: EntryRule): Runtime {
    const now = this.deps.now();
    return {
      state: initialState(rule),
      watch: null,
      unknown: false,
      argsTest: compileArgs(rule.args),
      stalls: rule.stall.map((stallRule) => newStallRuntime(stallRule, now)),
      limits: initialLimits(),
      usage: null,
      cancelLimitKill: null,
    };
  }

  private select(pentId?: number): Runtime[] | null {
    if (pentId === undefined) return this.runtimes;
    const runtime = this.runtimes.find((candidate) => candidate.state.rule.pentId === pentId);
    return runtime === undefined ? null : [runtime];
  }

  private processDied(runtime: Runtime, liveness: 'gone' | 'zombie'): void {
    const { pid, startTime } = runtime.state;
    this.unwatch(runtime);
    let how: 'gone' | 'reused' | 'zombie' = liveness;
    if (liveness === 'gone' && pid !== null) {
      try {
        const now = this.deps.statOf(pid);
        if (now !== null && now.startTime !== startTime) how = 'reused';
      } catch {
        // cannot tell reused from gone: it is gone either way
      }
    }
    this.feed(runtime, { type: 'died', how });
  }

  // An entry whose process could not be read: nothing is concluded; the log says why, once.
  private cannotTell(runtime: Runtime, code: string): void {
    runtime.unknown = true;
    this.blind(code);
  }

  private blind(code: string): void {
    if (this.blindness !== null) return;
    this.blindness = code;
    this.inOrder(() => this.deps.log().emit('procUnreadable', { error: code }));
  }

  private seeingAgain(): void {
    if (this.blindness === null) return;
    const code = this.blindness;
    this.blindness = null;
    this.inOrder(() => this.deps.log().emit('procReadable', { error: code }));
  }

  /**
   * Looks for the process of every entry that waits for one, all from one scan. `full`: a full
   * check, which also ends a blind spell once /proc reads again. While a scan in slices is on its
   * way, a new request is served by one more scan when it ends.
   */
  private discover(full = false): void {
    const waiting = this.runtimes.filter((runtime) => needsDiscovery(runtime.state));
    if (waiting.length === 0) {
      if (full && !this.runtimes.some((runtime) => runtime.unknown)) this.seeingAgain();
      return;
    }
    if (this.scanning) {
      this.rescan = true;
      return;
    }
    this.lastScan = this.deps.now();
    let scanned: ProcInfo[] | Promise<ProcInfo[]>;
    try {
      scanned = this.deps.scan();
    } catch (error) {
      this.scanFailed(error, waiting);
      return;
    }
    if (Array.isArray(scanned)) {
      this.serve(scanned, waiting);
      return;
    }
    this.scanning = true;
    scanned.then(
      (procs) => this.scanEnded(waiting, () => this.serve(procs, waiting)),
      (error: unknown) => this.scanEnded(waiting, () => this.scanFailed(error, waiting)),
    );
  }

  // A scan in slices ended: its result is used unless pcheck stopped. An entry that began waiting
  // while it ran may have a process it read too early: discovery again, coalesced.
  private scanEnded(waiting: readonly Runtime[], use: () => void): void {
    this.scanning = false;
    if (this.stopped) return;
    try {
      this.batch(use);
    } catch (error) {
      this.deps.log().emit('internalError', { error: (error as Error).stack ?? String(error) });
    }
    const served = new Set(waiting);
    if (this.rescan || this.runtimes.some((runtime) => !served.has(runtime) && needsDiscovery(runtime.state))) this.discoverSoon();
    this.rescan = false;
  }

  private scanFailed(error: unknown, waiting: readonly Runtime[]): void {
    if (!(error instanceof ProcUnreadable)) throw error;
    // a partial scan proves no absence: no entry is declared missing until /proc reads again
    for (const runtime of waiting) runtime.unknown = true;
    this.blind(error.code);
  }

  // Every entry that waited when the scan began and still does, from that scan; an entry that began
  // waiting since then is left to another scan (scanEnded), which may see a process this one missed.
  private serve(procs: readonly ProcInfo[], waiting: readonly Runtime[]): void {
    const index = new ProcIndex(procs);
    for (const runtime of waiting) {
      if (!needsDiscovery(runtime.state) || !this.runtimes.includes(runtime)) continue;
      const { rule } = runtime.state;
      let found: ProcInfo | null;
      let watch: Watch | null;
      try {
        const pidfilePid = rule.pidfile === null ? null : this.deps.readPidfile(rule.pidfile);
        found = choose(rule, runtime.argsTest, index, pidfilePid);
        watch = found === null ? null : this.deps.watch(found.pid, found.startTime);
      } catch (error) {
        if (!(error instanceof ProcUnreadable)) throw error;
        this.cannotTell(runtime, error.code);
        continue;
      }
      runtime.unknown = false;
      if (found !== null && watch !== null) {
        runtime.watch = watch;
        this.feed(runtime, { type: 'found', pid: found.pid, startTime: found.startTime });
      } else {
        this.feed(runtime, { type: 'notFound' });
      }
    }
    if (!this.runtimes.some((runtime) => runtime.unknown)) this.seeingAgain();
  }

  // Discovery for a finished script, DISCOVERY_COALESCE_MS later, shared with every script finishing meanwhile.
  private discoverSoon(): void {
    if (this.cancelCoalesced !== null) return;
    this.cancelCoalesced = this.deps.after(DISCOVERY_COALESCE_MS, () => {
      this.cancelCoalesced = null;
      if (!this.stopped) this.batch(() => this.discover());
    });
  }

  // A message among the entries' effects: inside batch() it waits its turn with them.
  private inOrder(effect: () => void): void {
    if (this.batching > 0) this.batchEffects.push(effect);
    else effect();
  }

  /**
   * Runs `step` with the entries' effects held back: at its end the carried state is saved once if
   * any entry's changed, then every held effect (messages, scripts) is carried out in order.
   */
  private batch(step: () => void): void {
    this.batching += 1;
    try {
      step();
    } finally {
      this.batching -= 1;
    }
    if (this.batching > 0) return;
    if (this.batchCarried) {
      this.batchCarried = false;
      this.deps.onCarriedChange?.();
    }
    // every effect is carried out even if one throws (a script not started would leave its entry stuck)
    let failure: unknown = null;
    for (const effect of this.batchEffects.splice(0)) {
      try {
        effect();
      } catch (error) {
        failure ??= error;
      }
    }
    if (failure !== null) throw failure;
  }

  // A resumed entry's process may have died while monitoring was off.
  private rewatch(runtime: Runtime): void {
    const { pid, startTime } = runtime.state;
    if (!isWatched(runtime.state) || runtime.watch !== null || pid === null || startTime === null) return;
    try {
      runtime.watch = this.deps.watch(pid, startTime);
    } catch (error) {
      if (!(error instanceof ProcUnreadable)) throw error;
      // the next full check reads it again by path
      this.cannotTell(runtime, error.code);
      return;
    }
    if (runtime.watch === null) this.processDied(runtime, 'gone');
  }

  private unwatch(runtime: Runtime): void {
    runtime.watch?.close();
    runtime.watch = null;
  }

  private feed(runtime: Runtime, event: EntryEvent): void {
    if (this.stopped) return;
    const before = runtime.state;
    const step = transition(before, event, { now: this.deps.now(), wallNow: this.deps.wallNow() });
    runtime.state = step.state;
    const wasWatched = isWatched(before) ? before.pid : null;
    const nowWatched = isWatched(step.state) ? step.state.pid : null;
    if (wasWatched !== nowWatched) {
      if (wasWatched !== null) this.stallsDown(runtime);
      if (nowWatched !== null) this.stallsUp(runtime);
      this.processChanged(runtime);
    }
    if (this.batching > 0) {
      if (carriedChanged(before, step.state)) this.batchCarried = true;
      for (const effect of step.effects) this.batchEffects.push(() => this.perform(runtime, effect));
      return;
    }
    if (carriedChanged(before, step.state)) this.deps.onCarriedChange?.();
    for (const effect of step.effects) this.perform(runtime, effect);
  }

  // Another process (or none): its usage, breaches and pending SIGKILL belonged to the previous one.
  private processChanged(runtime: Runtime): void {
    runtime.limits = initialLimits();
    runtime.usage = null;
    runtime.cancelLimitKill?.();
    runtime.cancelLimitKill = null;
  }

  private usageWorks(): void {
    if (this.usageFailingSince === null) return;
    const seconds = Math.round((this.deps.now() - this.usageFailingSince) / 1000);
    this.usageFailingSince = null;
    this.deps.log().emit('usageReadable', { seconds });
  }

  private feedLimits(runtime: Runtime, usage: Usage): void {
    const { state } = runtime;
    // an entry without limits has nothing to track (most of them: the sample is for show pent and the metrics)
    if (state.pid === null || (state.rule.limits.maxRss === null && state.rule.limits.maxCpu === null)) return;
    const context = { now: this.deps.now(), name: state.rule.pname, pid: state.pid };
    const step = limitsTransition(state.rule.limits, runtime.limits, usage, context);
    runtime.limits = step.state;
    for (const effect of step.effects) this.performLimits(runtime, effect);
  }

  private performLimits(runtime: Runtime, effect: LimitsEffect): void {
    if (effect.type === 'log') {
      this.deps.log().emit(effect.key, effect.fields as never, entryRef(runtime));
      return;
    }
    const { state } = runtime;
    // already signalled (a stall kill counts too), or no longer the process that breached
    if (!isWatched(state) || state.pid === null || state.limitKilled || state.stallKilled) return;
    const { pid, startTime } = state;
    const name = state.rule.pname;
    const error = this.deps.kill(pid, 'SIGTERM');
    if (error !== null) {
      this.deps.log().emit('limitKillFailed', { name, pid, signal: 'SIGTERM', error }, entryRef(runtime));
      return;
    }
    this.deps.log().emit('limitKill', { name, pid, signal: 'SIGTERM' }, entryRef(runtime));
    // death monitoring notices the end (next liveness tick) and restarts with reason limit
    this.feed(runtime, { type: 'limitBreached' });
    runtime.cancelLimitKill = this.deps.after(LIMIT_KILL_GRACE_MS, () => {
      runtime.cancelLimitKill = null;
      if (this.stopped || runtime.state.pid !== pid || runtime.state.startTime !== startTime || !runtime.state.limitKilled) return;
      const killError = this.deps.kill(pid, 'SIGKILL');
      if (killError === null) this.deps.log().emit('limitKill', { name, pid, signal: 'SIGKILL' }, entryRef(runtime));
      else this.deps.log().emit('limitKillFailed', { name, pid, signal: 'SIGKILL', error: killError }, entryRef(runtime));
    });
  }

  // A block's first probe is due now, or PROBE_SLOT_MS after the last one given out: the blocks of
  // 1000 processes found at once start 1 ms apart and keep that spread at every interval, where
  // they would otherwise all fall due in the same turn of the event loop, every interval, and hold
  // the liveness tick up for as long as 1000 probes take to start.
  private stallsUp(runtime: Runtime): void {
    const now = this.deps.now();
    for (const stall of runtime.stalls) {
      stall.generation += 1;
      this.feedStall(runtime, stall, { type: 'processUp' });
      stall.dueAt = Math.max(now, this.nextProbeSlot);
      this.nextProbeSlot = stall.dueAt + PROBE_SLOT_MS;
      this.scheduleProbe(runtime, stall);
    }
  }

  private stallsDown(runtime: Runtime): void {
    for (const stall of runtime.stalls) {
      stall.cancelTimer?.();
      stall.cancelTimer = null;
      stall.generation += 1;
      this.feedStall(runtime, stall, { type: 'processDown' });
    }
  }

  private cancelProbes(runtime: Runtime): void {
    for (const stall of runtime.stalls) {
      stall.cancelTimer?.();
      stall.cancelTimer = null;
      // a result still on its way belongs to an entry that is gone: it must not arm a kill
      stall.generation += 1;
      stall.cancelDeadline?.();
      stall.cancelDeadline = null;
      stall.deadlineAt = null;
    }
  }

  private scheduleProbe(runtime: Runtime, stall: StallRuntime): void {
    stall.cancelTimer?.();
    const delay = Math.max(0, stall.dueAt - this.deps.now());
    stall.cancelTimer = this.deps.after(delay, () => {
      stall.cancelTimer = null;
      this.runProbe(runtime, stall);
    });
  }

  private runProbe(runtime: Runtime, stall: StallRuntime): void {
    if (this.stopped || !stall.state.watching || stall.state.ended) return;
    const { rule } = stall.state;
    const interval = rule.interval * 1000;
    // keep the cadence; after a long pause (stop, a slow host) start again from now rather than catch up
    stall.dueAt = Math.max(stall.dueAt + interval, this.deps.now());
    this.scheduleProbe(runtime, stall);
    // the previous attempt has not timed out yet: this slot is skipped, the next one probes
    if (!wantsProbe(stall.state)) return;
    this.feedStall(runtime, stall, { type: 'probeStarted' });
    const { generation } = stall;
    void this.probe(runtime.state.rule, rule).then((result) => {
      if (this.stopped || stall.generation !== generation) return;
      this.feedStall(runtime, stall, { type: 'probeResult', result });
    });
  }

  // One probe of a block; a tls_ca file that cannot be read fails it without connecting, as pcheck's fault.
  private probe(entry: EntryRule, rule: StallRule): Promise<ProbeResult> {
    let tls: ProbeTarget['tls'];
    if (entry.tlsVerify) {
      try {
        tls = { verify: true, ...(entry.tlsCa === null ? {} : { ca: this.deps.readCa(entry.tlsCa) }) };
      } catch (error) {
        const why = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
        return Promise.resolve({ ok: false, error: `tls_ca ${entry.tlsCa ?? ''} cannot be read: ${why}`, fault: 'unknown' });
      }
    }
    const target: ProbeTarget = {
      host: rule.host ?? DEFAULTS.stallHost,
      port: rule.port,
      path: rule.path,
      timeoutMs: probeTimeoutMs(rule),
      ...(tls === undefined ? {} : { tls }),
    };
    return this.deps.probe(rule.kind, target, { pentId: entry.pentId, pname: entry.pname });
  }

  private feedStall(runtime: Runtime, stall: StallRuntime, event: StallEvent): void {
    if (this.stopped) return;
    const context = { now: this.deps.now(), pid: runtime.state.pid, name: runtime.state.rule.pname };
    const step = stallTransition(stall.state, event, context);
    stall.state = step.state;
    this.armDeadline(runtime, stall);
    for (const effect of step.effects) this.performStall(runtime, stall, effect);
  }

  // The stall is declared at its deadline, not at the next probe result (which may come an interval later).
  private armDeadline(runtime: Runtime, stall: StallRuntime): void {
    const deadline = stallDeadline(stall.state);
    if (deadline === stall.deadlineAt && (deadline === null || stall.cancelDeadline !== null)) return;
    stall.cancelDeadline?.();
    stall.cancelDeadline = null;
    stall.deadlineAt = deadline;
    if (deadline === null) return;
    stall.cancelDeadline = this.deps.after(Math.max(0, deadline - this.deps.now()), () => {
      stall.cancelDeadline = null;
      this.feedStall(runtime, stall, { type: 'deadline' });
    });
  }

  private performStall(runtime: Runtime, stall: StallRuntime, effect: StallEffect): void {
    switch (effect.type) {
      case 'log':
        this.deps.log().emit(effect.key, effect.fields as never, entryRef(runtime));
        return;
      case 'kill': {
        const pid = runtime.state.pid;
        const error = pid === null ? 'no pid' : this.deps.kill(pid);
        if (error === null) return this.feedStall(runtime, stall, { type: 'killed' });
        // a kill that failed ends stall monitoring of the whole entry
        for (const other of runtime.stalls) if (other !== stall) this.feedStall(runtime, other, { type: 'end' });
        return this.feedStall(runtime, stall, { type: 'killFailed', error });
      }
      case 'restartForStall':
        // death monitoring notices the kill (next liveness tick) and restarts with reason stall
        if (runtime.state.procSts !== 'AVAIL') return; // its death was noticed first
        this.feed(runtime, { type: 'stalled' });
        return;
      case 'retryOverAction':
        if (runtime.state.procSts !== 'AVAIL') return;
        this.unwatch(runtime);
        this.feed(runtime, { type: 'stallKillFailed' });
        return;
    }
  }

  private perform(runtime: Runtime, effect: EntryEffect): void {
    const { rule } = runtime.state;
    switch (effect.type) {
      case 'log':
        this.deps.log().emit(effect.key, effect.fields as never, entryRef(runtime));
        return;
      case 'runScript':
        this.startScript(runtime, effect.reason, effect.oldPid, effect.retry);
        return;
      case 'retryOver':
        if (effect.action !== 'continue') this.deps.onFatalRetryOver(effect.action, rule);
        return;
    }
  }

  private startScript(runtime: Runtime, reason: string, oldPid: number | null, retry: number): void {
    const { rule } = runtime.state;
    const env = {
      PS_PFILE: this.config.file,
      PS_PENT_ID: String(rule.pentId),
      PS_PNAME: rule.pname,
      PS_OLD_PID: oldPid === null ? '' : String(oldPid),
      PS_REASON: reason,
      PS_RETRY_COUNT: String(retry),
    };
    // runScript never rejects; should it, the attempt failed like any script that could not run
    const spawnFailure = (error: unknown): ScriptResult => ({
      outcome: 'failed',
      status: `spawn error: ${(error as Error).message}`,
      endedBy: null,
      output: '',
      truncated: false,
    });
    this.deps.runScript(rule.restartScript, { env, timeoutMs: rule.scriptTimeout * 1000 }).catch(spawnFailure).then((result) => {
      // a reload may have dropped the entry while its script ran
      if (this.stopped || !this.runtimes.includes(runtime)) return;
      const log = this.deps.log();
      const name = rule.pname;
      const entry = entryRef(runtime);
      if (result.output.trim() !== '') {
        log.emit('scriptOutput', { name, output: result.output.trim() + (result.truncated ? ' [truncated]' : '') }, entry);
      }
      if (result.outcome === 'timeout') {
        log.emit('scriptTimeout', { name, seconds: rule.scriptTimeout, signal: result.endedBy ?? result.status }, entry);
      } else if (result.outcome === 'failed') {
        log.emit('scriptFailed', { name, status: result.status }, entry);
      }
      this.feed(runtime, { type: 'scriptDone', outcome: result.outcome });
      this.discoverSoon();
    });
  }
}
