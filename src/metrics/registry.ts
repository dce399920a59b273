// pcheck's Prometheus metrics (docs/metrics.md lists them): gauges and state sets computed at scrape
// time from the supervisor's views, counters fed by the event stream, histograms by timed wrappers.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { PentView } from '../control/views.js';
import type { EntryRef, PcheckEvent } from '../events/stream.js';
import type { StallKind } from '../pfile/types.js';
import type { ProbeFault } from '../probes/types.js';
import { withDeadline } from '../system/timers.js';

/** Resolution of nodejs_eventloop_lag_* (ms). */
const EVENT_LOOP_PRECISION_MS = 100;

/** The watched process's resource usage, as pidusage reads it. */
export interface Usage {
  /** Cumulative user + system CPU, ms (pidusage's `ctime`). */
  readonly cpuMs: number;
  /** Resident set size, bytes (pidusage's `memory`). */
  readonly rssBytes: number;
}

/** What the metrics read at scrape time; the daemon passes the real ones, tests fakes. */
export interface MetricsSource {
  readonly views: () => readonly PentView[];
  /** Each alert destination's queue; empty without alerts. */
  readonly alertQueues: () => readonly { readonly destination: string; readonly queued: number }[];
  /** Usage of each pid it could read (a pid gone since is left out); may reject. */
  readonly usage: (pids: number[]) => Promise<ReadonlyMap<number, Usage>>;
}

export interface MetricsOptions {
  readonly version: string;
  /** prom-client's process_* and nodejs_* metrics; off in unit tests that compare whole texts. */
  readonly defaultMetrics?: boolean;
  /** How long a scrape waits for resource usage before it answers without it. */
  readonly usageTimeoutMs?: number;
}

const PROC_STATES = ['INIT', 'AVAIL', 'DOWN', 'RESTART', 'UNAVAIL', 'UNKNOWN'] as const;
const STALL_STATES = ['INIT', 'AVAIL', 'DETECT', 'UNAVAIL', 'UNKNOWN'] as const;
const RESTART_REASONS = ['down', 'zombie', 'stall', 'notfound', 'limit'] as const;
const LIMIT_KINDS = ['rss', 'cpu'] as const;
const PROBE_FAULTS: readonly ProbeFault[] = ['server', 'unknown'];
const ENTRY = ['pent_id', 'pname'] as const;
const DEFAULT_USAGE_TIMEOUT_MS = 2000;
const LINT_FAILING_DEFAULTS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

/** What one scrape reads once, before the collect callbacks run. */
interface Snapshot {
  readonly views: readonly PentView[];
  readonly usage: ReadonlyMap<number, Usage>;
}

type EntryLabels = { pent_id: string; pname: string };

function labelsOf(entry: { pentId: number; pname: string } | PentView): EntryLabels {
  return 'pent_id' in entry ? { pent_id: String(entry.pent_id), pname: entry.pname } : { pent_id: String(entry.pentId), pname: entry.pname };
}

const entryKey = (labels: EntryLabels): string => `${labels.pent_id}\0${labels.pname}`;

/** rerun_time (`YYYY/MM/DD hh:mm:ss`, local time) as epoch seconds; 0 for none. */
export function rerunSeconds(text: string | null): number {
  const parts = text === null ? null : /^(\d{4})\/(\d\d)\/(\d\d) (\d\d):(\d\d):(\d\d)$/.exec(text);
  if (parts === null) return 0;
  const [year, month, day, hour, minute, second] = parts.slice(1).map(Number) as [number, number, number, number, number, number];
  return new Date(year, month - 1, day, hour, minute, second).getTime() / 1000;
}

export class PcheckMetrics {
  readonly registry = new Registry();
  private snapshot: Snapshot = { views: [], usage: new Map() };
  /** Per entry, every counter or histogram series it has: removed when the entry leaves the pfile. */
  private readonly series = new Map<string, { metric: Counter<string> | Histogram<string>; labels: Record<string, string> }[]>();
  private readonly restarts: Counter<string>;
  private readonly retryOvers: Counter<string>;
  private readonly limitBreaches: Counter<string>;
  private readonly probeFailures: Counter<string>;
  private readonly scriptDuration: Histogram<string>;
  private readonly probeDuration: Histogram<string>;
  private readonly tickDuration: Histogram<string>;
  private readonly reloadOk: Gauge<string>;
  private readonly reloadTime: Gauge<string>;
  private readonly usageTimeoutMs: number;
  private defaultMetricsWanted: boolean;

  constructor(
    private readonly source: MetricsSource,
    options: MetricsOptions,
  ) {
    this.usageTimeoutMs = options.usageTimeoutMs ?? DEFAULT_USAGE_TIMEOUT_MS;
    const registers = [this.registry];
    const snapshot = () => this.snapshot;
    const perEntry = (name: string, help: string, value: (view: PentView) => number | null) =>
      new Gauge({
        name,
        help,
        labelNames: ENTRY,
        registers,
        collect() {
          this.reset();
          for (const view of snapshot().views) {
            const measured = value(view);
            if (measured !== null) this.set(labelsOf(view), measured);
          }
        },
      });
    perEntry('pcheck_entry_up', 'Whether the watched process is up (proc_sts AVAIL): 1 or 0.', (view) => (view.proc_sts === 'AVAIL' ? 1 : 0));
    new Gauge({
      name: 'pcheck_entry_state',
      help: 'The entry\'s proc_sts as a state set: 1 for the current state, 0 for the others.',
      labelNames: [...ENTRY, 'state'],
      registers,
      collect() {
        this.reset();
        for (const view of snapshot().views) {
          for (const state of PROC_STATES) this.set({ ...labelsOf(view), state }, view.proc_sts === state ? 1 : 0);
        }
      },
    });
    perEntry('pcheck_entry_monitoring', 'Whether the entry is monitored (monitor_sts on): 1 or 0.', (view) => (view.monitor_sts === 'on' ? 1 : 0));
    new Gauge({
      name: 'pcheck_entry_stall_state',
      help: 'Each stall check\'s state (stall_chk) as a state set: 1 for the current state, 0 for the others.',
      labelNames: [...ENTRY, 'kind', 'state'],
      registers,
      collect() {
        this.reset();
        for (const view of snapshot().views) {
          for (const stall of view.stall_chk) {
            for (const state of STALL_STATES) this.set({ ...labelsOf(view), kind: stall.kind, state }, stall.state === state ? 1 : 0);
          }
        }
      },
    });
    perEntry('pcheck_entry_retries_in_window', 'Restarts inside the entry\'s grace window (retry_count of show pent).', (view) => view.retry_count);
    perEntry('pcheck_entry_last_restart_timestamp_seconds', 'When the entry was last restarted (rerun_time), Unix time; 0 before the first.', (view) =>
      rerunSeconds(view.rerun_time),
    );
    // a counter read from the process at scrape time: set by reset and one increment
    new Counter({
      name: 'pcheck_entry_cpu_seconds_total',
      help: 'CPU time (user + system) the watched process has used, seconds.',
      labelNames: ENTRY,
      registers,
      collect() {
        this.reset();
        for (const view of snapshot().views) {
          const usage = view.pid === null ? undefined : snapshot().usage.get(view.pid);
          if (usage !== undefined) this.inc(labelsOf(view), usage.cpuMs / 1000);
        }
      },
    });
    perEntry('pcheck_entry_resident_memory_bytes', 'Resident set size of the watched process, bytes.', (view) => {
      const usage = view.pid === null ? undefined : snapshot().usage.get(view.pid);
      return usage === undefined ? null : usage.rssBytes;
    });
    // zero series for every entry, so that the first restart is an increase Prometheus sees
    const zeroes = (combinations: (view: PentView) => Record<string, string>[]) =>
      function (this: Counter<string>) {
        for (const view of snapshot().views) for (const labels of combinations(view)) this.inc(labels, 0);
      };
    const track = this.track.bind(this);
    this.restarts = new Counter({
      name: 'pcheck_entry_restarts_total',
      help: 'Restarts of the entry (runs of its restart script), by reason: down, zombie, stall, notfound, limit.',
      labelNames: [...ENTRY, 'reason'],
      registers,
      collect: zeroes((view) => RESTART_REASONS.map((reason) => track(this.restarts, { ...labelsOf(view), reason }))),
    });
    this.retryOvers = new Counter({
      name: 'pcheck_entry_retry_overs_total',
      help: 'Times the entry went into retry over.',
      labelNames: ENTRY,
      registers,
      collect: zeroes((view) => [track(this.retryOvers, labelsOf(view))]),
    });
    this.limitBreaches = new Counter({
      name: 'pcheck_entry_limit_breaches_total',
      help: 'Resource limits breached for their hold time (PC120), by limit: rss (max_rss) or cpu (max_cpu).',
      labelNames: [...ENTRY, 'limit'],
      registers,
      collect: zeroes((view) => LIMIT_KINDS.map((limit) => track(this.limitBreaches, { ...labelsOf(view), limit }))),
    });
    this.probeFailures = new Counter({
      name: 'pcheck_probe_failures_total',
      help: 'Failed stall probes, by kind (web, ssl, skt) and fault: server (counts toward a stall) or unknown (pcheck cannot tell).',
      labelNames: [...ENTRY, 'kind', 'fault'],
      registers,
      collect: zeroes((view) =>
        view.stall_chk.flatMap((stall) => PROBE_FAULTS.map((fault) => track(this.probeFailures, { ...labelsOf(view), kind: stall.kind, fault }))),
      ),
    });
    this.scriptDuration = new Histogram({
      name: 'pcheck_restart_script_duration_seconds',
      help: 'How long the entry\'s restart script ran, seconds.',
      labelNames: ENTRY,
      buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
      registers,
    });
    this.probeDuration = new Histogram({
      name: 'pcheck_probe_duration_seconds',
      help: 'How long a stall probe took to answer or fail, seconds, by kind (web, ssl, skt).',
      labelNames: [...ENTRY, 'kind'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.tickDuration = new Histogram({
      name: 'pcheck_liveness_tick_duration_seconds',
      help: 'How long one liveness tick (a read of every watched pid) took, seconds.',
      buckets: [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1],
      registers,
    });
    new Gauge({
      name: 'pcheck_build_info',
      help: 'pcheck\'s version, as a label; the value is 1.',
      labelNames: ['version'],
      registers,
    }).set({ version: options.version }, 1);
    this.reloadOk = new Gauge({
      name: 'pcheck_config_last_reload_successful',
      help: 'Whether the last reload of the pfile took effect (1), or was refused for errors (0).',
      registers,
    });
    this.reloadTime = new Gauge({
      name: 'pcheck_config_last_reload_success_timestamp_seconds',
      help: 'When the pfile was last loaded successfully (start or reload), Unix time.',
      registers,
    });
    this.reloadOk.set(1);
    this.reloadTime.set(Date.now() / 1000);
    const queues = () => this.source.alertQueues();
    new Gauge({
      name: 'pcheck_alert_queue_length',
      help: 'Events queued for an alert destination, not yet delivered.',
      labelNames: ['destination'],
      registers,
      collect() {
        this.reset();
        for (const queue of queues()) this.set({ destination: queue.destination }, queue.queued);
      },
    });
    this.defaultMetricsWanted = options.defaultMetrics !== false;
  }

  /** The text exposition: reads the views and the resource usage once, then every metric. */
  async scrape(): Promise<string> {
    // on the first scrape only, and with the event-loop lag sampled every 100 ms instead of prom-client's
    // 10 ms: a timer waking the loop 100 times a second cost an idle pcheck more than its liveness ticks
    if (this.defaultMetricsWanted) {
      this.defaultMetricsWanted = false;
      collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: EVENT_LOOP_PRECISION_MS });
      // gauges named _total (promtool's lint refuses them); nodejs_active_{handles,requests,resources} carry the same counts
      for (const name of LINT_FAILING_DEFAULTS) this.registry.removeSingleMetric(name);
    }
    const views = this.source.views();
    const usage = await this.readUsage(views);
    this.snapshot = { views, usage };
    this.prune(views);
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The event stream's sink: counts restarts, retry overs and reloads. */
  readonly sink = (event: PcheckEvent): void => {
    switch (event.key) {
      case 'tryRestart':
        if (event.entry !== null) this.restarts.inc(this.track(this.restarts, { ...labelsOf(event.entry), reason: String(event.fields.reason) }));
        return;
      case 'retryOver':
        if (event.entry !== null) this.retryOvers.inc(this.track(this.retryOvers, labelsOf(event.entry)));
        return;
      case 'limitBreached':
        if (event.entry !== null) this.limitBreaches.inc(this.track(this.limitBreaches, { ...labelsOf(event.entry), limit: String(event.fields.kind) }));
        return;
      case 'reloaded':
        this.reloadOk.set(1);
        this.reloadTime.set(event.at / 1000);
        return;
      case 'reloadRefused':
        this.reloadOk.set(0);
        return;
      default:
        return;
    }
  };

  observeScript(entry: EntryRef, seconds: number): void {
    this.scriptDuration.observe(this.track(this.scriptDuration, labelsOf(entry)), seconds);
  }

  /** One probe: its duration, and its fault when it failed. */
  observeProbe(entry: EntryRef, kind: StallKind, seconds: number, fault: ProbeFault | null): void {
    const labels = { ...labelsOf(entry), kind };
    this.probeDuration.observe(this.track(this.probeDuration, labels), seconds);
    if (fault !== null) this.probeFailures.inc(this.track(this.probeFailures, { ...labels, fault }));
  }

  observeTick(seconds: number): void {
    this.tickDuration.observe(seconds);
  }

  // pidusage for every watched pid at once; a scrape never waits longer than usageTimeoutMs for it
  private async readUsage(views: readonly PentView[]): Promise<ReadonlyMap<number, Usage>> {
    const pids = views.flatMap((view) => (view.pid !== null && view.proc_sts === 'AVAIL' ? [view.pid] : []));
    if (pids.length === 0) return new Map();
    // a failed or late reading leaves the resource series out of this scrape
    return withDeadline(this.source.usage(pids), this.usageTimeoutMs, () => new Error('late')).catch(() => new Map<number, Usage>());
  }

  private track<L extends Record<string, string>>(metric: Counter<string> | Histogram<string>, labels: L & EntryLabels): L & EntryLabels {
    const key = entryKey(labels);
    const known = this.series.get(key) ?? [];
    if (!known.some((series) => series.metric === metric && sameLabels(series.labels, labels))) known.push({ metric, labels });
    this.series.set(key, known);
    return labels;
  }

  // An entry a reload removed (or moved to another pent_id) leaves no series behind.
  private prune(views: readonly PentView[]): void {
    const current = new Set(views.map((view) => entryKey(labelsOf(view))));
    for (const [key, known] of this.series) {
      if (current.has(key)) continue;
      for (const { metric, labels } of known) metric.remove(labels);
      this.series.delete(key);
    }
  }
}

function sameLabels(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => a[key] === b[key]);
}
