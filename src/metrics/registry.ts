// pcheck's Prometheus metrics (docs/metrics.md lists them). The per-entry families are written by
// hand (entries.ts: 20 lines an entry, too many for prom-client's per-label-set objects); prom-client
// keeps pcheck's own: build info, reloads, the liveness tick, alert queues and its default metrics.
import { collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { PentView } from '../control/views.js';
import type { EntryRef, PcheckEvent } from '../events/stream.js';
import type { StallKind } from '../pfile/types.js';
import type { ProbeFault } from '../probes/types.js';
import { withDeadline } from '../system/timers.js';
import { EntryMetrics, type Usage } from './entries.js';
import { TextBuffer, type Scraped } from './exposition.js';

export { rerunSeconds, type Usage } from './entries.js';

/** Resolution of nodejs_eventloop_lag_* (ms). */
const EVENT_LOOP_PRECISION_MS = 100;

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

const DEFAULT_USAGE_TIMEOUT_MS = 2000;
/** Buffers kept for the next scrapes: one per answer being sent at once, beyond which a scrape takes a new one. */
const SPARE_BUFFERS = 2;
const LINT_FAILING_DEFAULTS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

export class PcheckMetrics {
  readonly registry = new Registry();
  private readonly entries = new EntryMetrics();
  private readonly spareBuffers: TextBuffer[] = [];
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
    this.tickDuration = new Histogram({
      name: 'pcheck_liveness_tick_duration_seconds',
      help: 'How long one liveness tick (a read of every watched pid) took, seconds.',
      buckets: [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1],
      registers,
    });
    new Gauge({
      name: 'pcheck_build_info',
      help: "pcheck's version, as a label; the value is 1.",
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
  async scrape(): Promise<Scraped> {
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
    const own = await this.registry.metrics();
    const out = this.spareBuffers.pop() ?? new TextBuffer();
    out.clear();
    this.entries.write(views, usage, out);
    out.write(own);
    let released = false;
    return {
      body: out.bytes(),
      release: () => {
        if (released) return;
        released = true;
        if (this.spareBuffers.length < SPARE_BUFFERS) this.spareBuffers.push(out);
      },
    };
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The event stream's sink: counts restarts, retry overs and reloads. */
  readonly sink = (event: PcheckEvent): void => {
    switch (event.key) {
      case 'tryRestart':
        if (event.entry !== null) this.entries.restarted(event.entry, String(event.fields.reason));
        return;
      case 'retryOver':
        if (event.entry !== null) this.entries.retriedOver(event.entry);
        return;
      case 'limitBreached':
        if (event.entry !== null) this.entries.limitBreached(event.entry, String(event.fields.kind));
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
    this.entries.observeScript(entry, seconds);
  }

  /** One probe: its duration, and its fault when it failed. */
  observeProbe(entry: EntryRef, kind: StallKind, seconds: number, fault: ProbeFault | null): void {
    this.entries.observeProbe(entry, kind, seconds, fault);
  }

  observeTick(seconds: number): void {
    this.tickDuration.observe(seconds);
  }

  // the watched pids' usage; a scrape never waits longer than usageTimeoutMs for it
  private async readUsage(views: readonly PentView[]): Promise<ReadonlyMap<number, Usage>> {
    const pids = views.flatMap((view) => (view.pid !== null && view.proc_sts === 'AVAIL' ? [view.pid] : []));
    if (pids.length === 0) return new Map();
    // a failed or late reading leaves the resource series out of this scrape
    return withDeadline(this.source.usage(pids), this.usageTimeoutMs, () => new Error('late')).catch(() => new Map<number, Usage>());
  }
}
