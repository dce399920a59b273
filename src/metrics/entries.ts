// The per-entry metric families (labels pent_id, pname), kept as plain numbers per entry and written
// straight to the text format: gauges and state sets from the supervisor's views at scrape time,
// counters from the event stream, histograms from the timing wrappers. Each entry keeps the text of
// its lines in each family and writes them again only when what they show changed.
import type { PentView } from '../control/views.js';
import type { EntryRef } from '../events/stream.js';
import type { StallKind } from '../pfile/types.js';
import type { ProbeFault } from '../probes/types.js';
import { Buckets, escapeLabelValue, familyHeader, formatValue, HistogramSeries, labelPairs, type MetricType, type TextBuffer } from './exposition.js';

/** The watched process's resource usage, as the resource sampler (src/system/proc-usage.ts) reads it. */
export interface Usage {
  /** Cumulative user + system CPU, ms (utime + stime of /proc/<pid>/stat). */
  readonly cpuMs: number;
  /** Resident set size, bytes (rss of /proc/<pid>/stat × the page size). */
  readonly rssBytes: number;
}

const PROC_STATES = ['INIT', 'AVAIL', 'DOWN', 'RESTART', 'UNAVAIL', 'UNKNOWN'] as const;
const STALL_STATES = ['INIT', 'AVAIL', 'DETECT', 'UNAVAIL', 'UNKNOWN'] as const;
const RESTART_REASONS = ['down', 'zombie', 'stall', 'notfound', 'limit'] as const;
const LIMIT_KINDS = ['rss', 'cpu'] as const;
const PROBE_FAULTS: readonly ProbeFault[] = ['server', 'unknown'];
const SCRIPT_BUCKETS = new Buckets([0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300]);
const PROBE_BUCKETS = new Buckets([0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]);

/** rerun_time (`YYYY/MM/DD hh:mm:ss`, local time) as epoch seconds; 0 for none. */
export function rerunSeconds(text: string | null): number {
  const parts = text === null ? null : /^(\d{4})\/(\d\d)\/(\d\d) (\d\d):(\d\d):(\d\d)$/.exec(text);
  if (parts === null) return 0;
  const [year, month, day, hour, minute, second] = parts.slice(1).map(Number) as [number, number, number, number, number, number];
  return new Date(year, month - 1, day, hour, minute, second).getTime() / 1000;
}

/** One entry's lines in one family, and what they were written from. */
interface Chunk {
  readonly key: unknown;
  readonly text: string;
}

/** What pcheck counted for one entry, its label pairs (escaped once) and its lines of the last scrape. */
class EntrySeries {
  /** `pent_id="1",pname="..."`: the inside of every sample's braces. */
  readonly labels: string;
  readonly restarts = new Map<string, number>(RESTART_REASONS.map((reason) => [reason, 0]));
  retryOvers = 0;
  readonly limitBreaches = new Map<string, number>(LIMIT_KINDS.map((kind) => [kind, 0]));
  /** kind -> fault -> failures. */
  readonly probeFailures = new Map<string, Map<string, number>>();
  script: HistogramSeries | null = null;
  readonly probeDurations = new Map<string, HistogramSeries>();
  /** Bumped by every change of the counters and histograms above. */
  version = 0;
  /** Per family (by its index in FAMILIES), the lines last written. */
  readonly chunks: (Chunk | undefined)[] = [];

  constructor(pentId: number, pname: string) {
    this.labels = labelPairs([
      ['pent_id', String(pentId)],
      ['pname', pname],
    ]);
  }

  /** The failure counts of probes of `kind`, created at 0 for each fault. */
  failuresOf(kind: string): Map<string, number> {
    let faults = this.probeFailures.get(kind);
    if (faults === undefined) {
      faults = new Map(PROBE_FAULTS.map((fault) => [fault, 0]));
      this.probeFailures.set(kind, faults);
      this.version += 1;
    }
    return faults;
  }
}

/** One entry at a scrape: its view, its series, its usage if read. */
interface Row {
  readonly view: PentView;
  readonly series: EntrySeries;
  readonly usage: Usage | undefined;
}

/** A per-entry family: `lines` gives an entry's sample lines, which only change when `key` does. */
interface Family {
  readonly name: string;
  readonly help: string;
  readonly type: MetricType;
  readonly key: (row: Row) => unknown;
  readonly lines: (row: Row) => string;
}

/** A family of one sample an entry, absent where `value` is null. */
function single(name: string, help: string, type: MetricType, value: (row: Row) => number | null, key: (row: Row) => unknown = value): Family {
  return {
    name,
    help,
    type,
    key,
    lines: (row) => {
      const measured = value(row);
      return measured === null ? '' : `${name}{${row.series.labels}} ${formatValue(measured)}\n`;
    },
  };
}

/** One sample per value of `label`, in the order counted. */
function counted(name: string, label: string, counts: ReadonlyMap<string, number>, labels: string): string {
  let lines = '';
  for (const [value, count] of counts) lines += `${name}{${labels},${label}="${escapeLabelValue(value)}"} ${formatValue(count)}\n`;
  return lines;
}

/** A state set: one sample per state, 1 for the current one. */
function stateSet(name: string, labels: string, states: readonly string[], current: string): string {
  let lines = '';
  for (const state of states) lines += `${name}{${labels},state="${state}"} ${state === current ? 1 : 0}\n`;
  return lines;
}

const counters = (row: Row): number => row.series.version;

const FAMILIES: readonly Family[] = [
  single('pcheck_entry_up', 'Whether the watched process is up (proc_sts AVAIL): 1 or 0.', 'gauge', ({ view }) => (view.proc_sts === 'AVAIL' ? 1 : 0)),
  {
    name: 'pcheck_entry_state',
    help: "The entry's proc_sts as a state set: 1 for the current state, 0 for the others.",
    type: 'gauge',
    key: ({ view }) => view.proc_sts,
    lines: ({ view, series }) => stateSet('pcheck_entry_state', series.labels, PROC_STATES, view.proc_sts),
  },
  single('pcheck_entry_monitoring', 'Whether the entry is monitored (monitor_sts on): 1 or 0.', 'gauge', ({ view }) => (view.monitor_sts === 'on' ? 1 : 0)),
  {
    name: 'pcheck_entry_stall_state',
    help: "Each stall check's state (stall_chk) as a state set: 1 for the current state, 0 for the others.",
    type: 'gauge',
    key: ({ view }) => (view.stall_chk.length === 0 ? '' : view.stall_chk.map((stall) => `${stall.kind}:${stall.state}`).join(' ')),
    lines: ({ view, series }) =>
      view.stall_chk.map((stall) => stateSet('pcheck_entry_stall_state', `${series.labels},kind="${escapeLabelValue(stall.kind)}"`, STALL_STATES, stall.state)).join(''),
  },
  single('pcheck_entry_retries_in_window', "Restarts inside the entry's grace window (retry_count of show pent).", 'gauge', ({ view }) => view.retry_count),
  single(
    'pcheck_entry_last_restart_timestamp_seconds',
    'When the entry was last restarted (rerun_time), Unix time; 0 before the first.',
    'gauge',
    ({ view }) => rerunSeconds(view.rerun_time),
    ({ view }) => view.rerun_time,
  ),
  // a counter read from the process at scrape time
  single('pcheck_entry_cpu_seconds_total', 'CPU time (user + system) the watched process has used, seconds.', 'counter', ({ usage }) =>
    usage === undefined ? null : usage.cpuMs / 1000,
  ),
  single('pcheck_entry_resident_memory_bytes', 'Resident set size of the watched process, bytes.', 'gauge', ({ usage }) =>
    usage === undefined ? null : usage.rssBytes,
  ),
  // every counter has its zero series from the start, so that the first increment is an increase Prometheus sees
  {
    name: 'pcheck_entry_restarts_total',
    help: 'Restarts of the entry (runs of its restart script), by reason: down, zombie, stall, notfound, limit.',
    type: 'counter',
    key: counters,
    lines: ({ series }) => counted('pcheck_entry_restarts_total', 'reason', series.restarts, series.labels),
  },
  single('pcheck_entry_retry_overs_total', 'Times the entry went into retry over.', 'counter', ({ series }) => series.retryOvers, counters),
  {
    name: 'pcheck_entry_limit_breaches_total',
    help: 'Resource limits breached for their hold time (PC120), by limit: rss (max_rss) or cpu (max_cpu).',
    type: 'counter',
    key: counters,
    lines: ({ series }) => counted('pcheck_entry_limit_breaches_total', 'limit', series.limitBreaches, series.labels),
  },
  {
    name: 'pcheck_probe_failures_total',
    help: 'Failed stall probes, by kind (web, ssl, skt) and fault: server (counts toward a stall) or unknown (pcheck cannot tell).',
    type: 'counter',
    // zero series for each stall block of the entry (a new one bumps the version)
    key: ({ view, series }) => {
      for (const stall of view.stall_chk) series.failuresOf(stall.kind);
      return series.version;
    },
    lines: ({ series }) => {
      let lines = '';
      for (const [kind, faults] of series.probeFailures) lines += counted('pcheck_probe_failures_total', 'fault', faults, `${series.labels},kind="${escapeLabelValue(kind)}"`);
      return lines;
    },
  },
  {
    name: 'pcheck_restart_script_duration_seconds',
    help: "How long the entry's restart script ran, seconds.",
    type: 'histogram',
    key: counters,
    lines: ({ series }) => (series.script === null ? '' : series.script.lines('pcheck_restart_script_duration_seconds', series.labels)),
  },
  {
    name: 'pcheck_probe_duration_seconds',
    help: 'How long a stall probe took to answer or fail, seconds, by kind (web, ssl, skt).',
    type: 'histogram',
    key: counters,
    lines: ({ series }) => {
      let lines = '';
      for (const [kind, durations] of series.probeDurations) lines += durations.lines('pcheck_probe_duration_seconds', `${series.labels},kind="${escapeLabelValue(kind)}"`);
      return lines;
    },
  },
];

const HEADERS = FAMILIES.map((family) => familyHeader(family.name, family.help, family.type));
const keyOf = (pentId: number, pname: string): string => `${pentId}\0${pname}`;

/** The per-entry families: counters and histograms fed between scrapes, text written at a scrape. */
export class EntryMetrics {
  private readonly entries = new Map<string, EntrySeries>();

  restarted(entry: EntryRef, reason: string): void {
    const series = this.seriesOf(entry.pentId, entry.pname);
    series.restarts.set(reason, (series.restarts.get(reason) ?? 0) + 1);
    series.version += 1;
  }

  retriedOver(entry: EntryRef): void {
    const series = this.seriesOf(entry.pentId, entry.pname);
    series.retryOvers += 1;
    series.version += 1;
  }

  limitBreached(entry: EntryRef, limit: string): void {
    const series = this.seriesOf(entry.pentId, entry.pname);
    series.limitBreaches.set(limit, (series.limitBreaches.get(limit) ?? 0) + 1);
    series.version += 1;
  }

  observeScript(entry: EntryRef, seconds: number): void {
    const series = this.seriesOf(entry.pentId, entry.pname);
    series.script ??= new HistogramSeries(SCRIPT_BUCKETS);
    series.script.observe(seconds);
    series.version += 1;
  }

  observeProbe(entry: EntryRef, kind: StallKind, seconds: number, fault: ProbeFault | null): void {
    const series = this.seriesOf(entry.pentId, entry.pname);
    let durations = series.probeDurations.get(kind);
    if (durations === undefined) {
      durations = new HistogramSeries(PROBE_BUCKETS);
      series.probeDurations.set(kind, durations);
    }
    durations.observe(seconds);
    if (fault !== null) {
      const faults = series.failuresOf(kind);
      faults.set(fault, (faults.get(fault) ?? 0) + 1);
    }
    series.version += 1;
  }

  /**
   * Writes every per-entry family for `views` into `out`. An entry no longer among them (a reload
   * removed it, or gave it another pent_id) has its counters and histograms dropped.
   */
  write(views: readonly PentView[], usage: ReadonlyMap<number, Usage>, out: TextBuffer): void {
    const rows: Row[] = views.map((view) => ({
      view,
      series: this.seriesOf(view.pent_id, view.pname),
      usage: view.pid === null ? undefined : usage.get(view.pid),
    }));
    this.prune(views);
    FAMILIES.forEach((family, index) => {
      out.write(HEADERS[index] as string);
      for (const row of rows) {
        const key = family.key(row);
        let chunk = row.series.chunks[index];
        if (chunk === undefined || chunk.key !== key) {
          chunk = { key, text: family.lines(row) };
          row.series.chunks[index] = chunk;
        }
        out.write(chunk.text);
      }
    });
  }

  private seriesOf(pentId: number, pname: string): EntrySeries {
    const key = keyOf(pentId, pname);
    let series = this.entries.get(key);
    if (series === undefined) {
      series = new EntrySeries(pentId, pname);
      this.entries.set(key, series);
    }
    return series;
  }

  private prune(views: readonly PentView[]): void {
    // every view has its series by now: more series than views means some entry left
    if (this.entries.size === views.length) return;
    const current = new Set(views.map((view) => keyOf(view.pent_id, view.pname)));
    for (const key of this.entries.keys()) if (!current.has(key)) this.entries.delete(key);
  }
}
