// The hand-written text format: escaping, values, histograms with cumulative buckets, the reused
// buffer; and a whole scrape of odd entries accepted by promtool.
import { execFile } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import type { PentView } from '../../src/control/views.js';
import { eventOf } from '../../src/events/stream.js';
import { Buckets, escapeHelp, escapeLabelValue, familyHeader, formatValue, HistogramSeries, labelPairs, sample, TextBuffer } from '../../src/metrics/exposition.js';
import { PcheckMetrics, type Usage } from '../../src/metrics/registry.js';

describe('text format writer', () => {
  it('escapes a label value: backslash, double quote and newline, nothing else', () => {
    expect(escapeLabelValue('plain /usr/sbin/httpd')).toBe('plain /usr/sbin/httpd');
    expect(escapeLabelValue('a\\b')).toBe('a\\\\b');
    expect(escapeLabelValue('say "hi"')).toBe('say \\"hi\\"');
    expect(escapeLabelValue('two\nlines')).toBe('two\\nlines');
    expect(escapeLabelValue('\\"\n\\n')).toBe('\\\\\\"\\n\\\\n');
    // a tab, a carriage return and non-ASCII text are written as they are
    expect(escapeLabelValue('tab\tcr\r日本')).toBe('tab\tcr\r日本');
  });

  it('escapes HELP text: backslash and newline, a quote stays', () => {
    expect(escapeHelp('a "b" \\ c\nd')).toBe('a "b" \\\\ c\\nd');
  });

  it('writes label pairs, samples and family headers', () => {
    expect(labelPairs([['pent_id', '1'], ['pname', 'my "app"']])).toBe('pent_id="1",pname="my \\"app\\""');
    expect(sample('pcheck_x', '', 3)).toBe('pcheck_x 3\n');
    expect(sample('pcheck_x', 'a="b"', 0.25)).toBe('pcheck_x{a="b"} 0.25\n');
    expect(familyHeader('pcheck_x_total', 'Counts\nthings.', 'counter')).toBe('# HELP pcheck_x_total Counts\\nthings.\n# TYPE pcheck_x_total counter\n');
  });

  it('formats values as the format reads them', () => {
    expect(formatValue(0)).toBe('0');
    expect(formatValue(1.5)).toBe('1.5');
    expect(formatValue(-2)).toBe('-2');
    expect(formatValue(1e21)).toBe('1e+21');
    expect(formatValue(0.00005)).toBe('0.00005');
    expect(formatValue(Number.NaN)).toBe('NaN');
    expect(formatValue(Infinity)).toBe('+Inf');
    expect(formatValue(-Infinity)).toBe('-Inf');
  });

  it('a histogram: cumulative buckets (a value on a bound counts in it), +Inf, _sum and _count', () => {
    const histogram = new HistogramSeries(new Buckets([0.1, 1, 10]));
    for (const value of [0.05, 0.1, 0.5, 1, 20, 30]) histogram.observe(value);
    expect(histogram.lines('pcheck_h_seconds', 'pent_id="1"')).toBe(
      [
        'pcheck_h_seconds_bucket{le="0.1",pent_id="1"} 2',
        'pcheck_h_seconds_bucket{le="1",pent_id="1"} 4',
        'pcheck_h_seconds_bucket{le="10",pent_id="1"} 4',
        'pcheck_h_seconds_bucket{le="+Inf",pent_id="1"} 6',
        'pcheck_h_seconds_sum{pent_id="1"} 51.65',
        'pcheck_h_seconds_count{pent_id="1"} 6',
        '',
      ].join('\n'),
    );
    const empty = new HistogramSeries(new Buckets([1]));
    expect(empty.lines('pcheck_e', '')).toBe('pcheck_e_bucket{le="1"} 0\npcheck_e_bucket{le="+Inf"} 0\npcheck_e_sum 0\npcheck_e_count 0\n');
  });

  it('refuses buckets that are not increasing finite numbers', () => {
    expect(() => new Buckets([1, 1])).toThrow(/increasing finite/);
    expect(() => new Buckets([2, 1])).toThrow(/increasing finite/);
    expect(() => new Buckets([1, Infinity])).toThrow(/increasing finite/);
  });

  it('TextBuffer: grows past its first size, writes UTF-8, clears for reuse', () => {
    const out = new TextBuffer(8);
    out.write('pname="');
    out.write('日本語の名前');
    out.write('"\n'.repeat(100));
    const text = `pname="日本語の名前${'"\n'.repeat(100)}`;
    expect(out.bytes().toString('utf8')).toBe(text);
    expect(out.bytes().length).toBe(Buffer.byteLength(text));
    out.clear();
    out.write('x');
    expect(out.bytes().toString()).toBe('x');
  });
});

function view(pentId: number, pname: string, overrides: Partial<PentView> = {}): PentView {
  return {
    pname,
    pid: 1000 + pentId,
    retry_count: 0,
    restart_count: 0,
    proc_sts: 'AVAIL',
    stall_chk: [],
    retry_over_act: 'continue',
    rerun_time: null,
    pent_id: pentId,
    monitor_sts: 'on',
    cpu_percent: null,
    rss_bytes: null,
    ...overrides,
  };
}

function metricsOf(views: () => PentView[], usage: Map<number, Usage> = new Map()): PcheckMetrics {
  return new PcheckMetrics({ views, alertQueues: () => [{ destination: 'ops "mail"', queued: 1 }], usage: async () => usage }, { version: '1.2.3' });
}

function promtoolCheck(text: string): Promise<{ status: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = execFile('/usr/bin/promtool', ['check', 'metrics'], { timeout: 20_000 }, (error, stdout, stderr) =>
      resolve({ status: error === null ? 0 : ((error as { code?: number }).code ?? null), output: stdout + stderr }),
    );
    child.stdin?.end(text);
  });
}

describe('a whole scrape', () => {
  it('with odd pnames, every state, stall blocks, histograms and counters passes promtool check metrics', async () => {
    const odd = ['my "app"\\v2\nx', '日本語', 'back\\slash', 'nl\n', '"'];
    const states: PentView['proc_sts'][] = ['AVAIL', 'INIT', 'DOWN', 'RESTART', 'UNAVAIL', 'UNKNOWN'];
    const views = odd.map((pname, index) =>
      view(index + 1, pname, {
        proc_sts: states[index % states.length],
        rerun_time: index % 2 === 0 ? '2026/01/02 03:04:05' : null,
        stall_chk: [
          { kind: 'web', state: 'DETECT' },
          { kind: 'skt', state: 'AVAIL' },
        ],
      }),
    );
    const metrics = metricsOf(() => views, new Map([[1001, { cpuMs: 1500, rssBytes: 4096 }]]));
    odd.forEach((pname, index) => {
      const entry = { pentId: index + 1, pname };
      metrics.sink(eventOf('tryRestart', { name: pname, reason: 'stall', retry: 1 }, entry));
      metrics.sink(eventOf('retryOver', { name: pname, action: 'continue', retries: 3 }, entry));
      metrics.observeScript(entry, 0.3 * (index + 1));
      metrics.observeProbe(entry, 'web', 0.002, 'server');
      metrics.observeProbe(entry, 'skt', 0.5, null);
    });
    metrics.observeTick(0.0003);
    const scraped = await metrics.scrape();
    const text = scraped.body.toString('utf8');
    scraped.release();
    expect(text).toContain('pcheck_entry_up{pent_id="1",pname="my \\"app\\"\\\\v2\\nx"} 1');
    expect(text).toContain('pcheck_entry_up{pent_id="2",pname="日本語"} 0');
    expect(text).toContain('pcheck_probe_failures_total{pent_id="3",pname="back\\\\slash",kind="web",fault="server"} 1');
    expect(text).toContain('pcheck_alert_queue_length{destination="ops \\"mail\\""} 1');
    const checked = await promtoolCheck(text);
    expect(checked.output).toBe('');
    expect(checked.status).toBe(0);
  }, 30_000);

  it('an answer still being sent keeps its bytes: the next scrape writes elsewhere; a released one is reused', async () => {
    let views = [view(1, 'a')];
    const metrics = metricsOf(() => views);
    const first = await metrics.scrape();
    const firstText = first.body.toString();
    views = [view(1, 'a', { proc_sts: 'DOWN' }), view(2, 'b')];
    const second = await metrics.scrape();
    expect(first.body.toString()).toBe(firstText);
    expect(second.body.toString()).toContain('pcheck_entry_up{pent_id="2",pname="b"} 1');
    expect(second.body.buffer).not.toBe(first.body.buffer);
    first.release();
    second.release();
    second.release(); // a second release is harmless
    const third = await metrics.scrape();
    expect([first.body.buffer, second.body.buffer]).toContain(third.body.buffer);
    expect(third.body.toString()).toContain('pcheck_entry_state{pent_id="1",pname="a",state="DOWN"} 1');
    third.release();
  });

  it('an entry\'s cached lines follow each change: state, restart time, usage, counters, histograms', async () => {
    let current = view(1, 'a');
    const usage = new Map<number, Usage>();
    const metrics = metricsOf(() => [current], usage);
    const text = async () => {
      const scraped = await metrics.scrape();
      const body = scraped.body.toString();
      scraped.release();
      return body;
    };
    const entry = { pentId: 1, pname: 'a' };
    expect(await text()).toContain('pcheck_entry_retries_in_window{pent_id="1",pname="a"} 0');
    current = view(1, 'a', { retry_count: 2, rerun_time: '2026/01/02 03:04:05', stall_chk: [{ kind: 'ssl', state: 'INIT' }], monitor_sts: 'off' });
    usage.set(1001, { cpuMs: 2000, rssBytes: 10 });
    metrics.sink(eventOf('limitBreached', { name: 'a', pid: 1001, kind: 'cpu', value: 99, limit: 50, hold: 60, action: 'restart' }, entry));
    metrics.observeScript(entry, 2);
    let after = await text();
    expect(after).toContain('pcheck_entry_retries_in_window{pent_id="1",pname="a"} 2');
    expect(after).toContain(`pcheck_entry_last_restart_timestamp_seconds{pent_id="1",pname="a"} ${new Date(2026, 0, 2, 3, 4, 5).getTime() / 1000}`);
    expect(after).toContain('pcheck_entry_monitoring{pent_id="1",pname="a"} 0');
    expect(after).toContain('pcheck_entry_stall_state{pent_id="1",pname="a",kind="ssl",state="INIT"} 1');
    expect(after).toContain('pcheck_probe_failures_total{pent_id="1",pname="a",kind="ssl",fault="unknown"} 0');
    expect(after).toContain('pcheck_entry_cpu_seconds_total{pent_id="1",pname="a"} 2');
    expect(after).toContain('pcheck_entry_limit_breaches_total{pent_id="1",pname="a",limit="cpu"} 1');
    expect(after).toContain('pcheck_restart_script_duration_seconds_bucket{le="2.5",pent_id="1",pname="a"} 1');
    usage.set(1001, { cpuMs: 2500, rssBytes: 20 });
    metrics.observeScript(entry, 2);
    after = await text();
    expect(after).toContain('pcheck_entry_cpu_seconds_total{pent_id="1",pname="a"} 2.5');
    expect(after).toContain('pcheck_entry_resident_memory_bytes{pent_id="1",pname="a"} 20');
    expect(after).toContain('pcheck_restart_script_duration_seconds_count{pent_id="1",pname="a"} 2');
    // the process gone: its usage lines go with it
    current = view(1, 'a', { proc_sts: 'DOWN', pid: null });
    after = await text();
    expect(after).not.toContain('pcheck_entry_cpu_seconds_total{');
    expect(after).toContain('pcheck_entry_up{pent_id="1",pname="a"} 0');
  });
});
