// The metrics registry with a fake supervisor view, fake events and fake resource usage: the text
// exposition carries the right series and values.
import { describe, expect, it } from 'vitest';
import type { PentView } from '../../src/control/views.js';
import { eventOf } from '../../src/events/stream.js';
import { timedProbe, timedScript } from '../../src/metrics/instrument.js';
import { PcheckMetrics, rerunSeconds, type MetricsSource, type Usage } from '../../src/metrics/registry.js';

function view(overrides: Partial<PentView> = {}): PentView {
  return {
    pname: '/usr/sbin/httpd',
    pid: 100,
    retry_count: 0,
    restart_count: 0,
    proc_sts: 'AVAIL',
    stall_chk: [],
    retry_over_act: 'continue',
    rerun_time: null,
    pent_id: 1,
    monitor_sts: 'on',
    ...overrides,
  };
}

function setup(views: PentView[], usage: Map<number, Usage> = new Map(), queues: { destination: string; queued: number }[] = []) {
  const state = { views, usage, queues, usageCalls: [] as number[][] };
  const source: MetricsSource = {
    views: () => state.views,
    alertQueues: () => state.queues,
    usage: async (pids) => {
      state.usageCalls.push(pids);
      return state.usage;
    },
  };
  const metrics = new PcheckMetrics(source, { version: '1.2.3', defaultMetrics: false });
  return { metrics, state };
}

/** The whole text of one scrape. */
async function scrapeText(metrics: PcheckMetrics): Promise<string> {
  const scraped = await metrics.scrape();
  const text = scraped.body.toString('utf8');
  scraped.release();
  return text;
}

/** The sample lines of the exposition (no HELP/TYPE), as `name{labels} value`. */
async function samples(metrics: PcheckMetrics): Promise<string[]> {
  return (await scrapeText(metrics)).split('\n').filter((line) => line !== '' && !line.startsWith('#'));
}

const HTTPD = 'pent_id="1",pname="/usr/sbin/httpd"';

describe('metrics registry', () => {
  it('per entry: up, state set, monitoring, retries, last restart time, resource usage', async () => {
    const rerun = '2026/01/02 03:04:05';
    const { metrics, state } = setup(
      [
        view({ retry_count: 2, rerun_time: rerun, stall_chk: [{ kind: 'web', state: 'DETECT' }] }),
        view({ pent_id: 2, pname: 'sshd', pid: null, proc_sts: 'UNAVAIL', monitor_sts: 'off' }),
      ],
      new Map([[100, { cpuMs: 1500, rssBytes: 4096 }]]),
    );
    const lines = await samples(metrics);
    expect(lines).toContain(`pcheck_entry_up{${HTTPD}} 1`);
    expect(lines).toContain('pcheck_entry_up{pent_id="2",pname="sshd"} 0');
    expect(lines).toContain(`pcheck_entry_state{${HTTPD},state="AVAIL"} 1`);
    for (const other of ['INIT', 'DOWN', 'RESTART', 'UNAVAIL', 'UNKNOWN']) expect(lines).toContain(`pcheck_entry_state{${HTTPD},state="${other}"} 0`);
    expect(lines).toContain('pcheck_entry_state{pent_id="2",pname="sshd",state="UNAVAIL"} 1');
    expect(lines).toContain(`pcheck_entry_monitoring{${HTTPD}} 1`);
    expect(lines).toContain('pcheck_entry_monitoring{pent_id="2",pname="sshd"} 0');
    expect(lines).toContain(`pcheck_entry_stall_state{${HTTPD},kind="web",state="DETECT"} 1`);
    expect(lines).toContain(`pcheck_entry_stall_state{${HTTPD},kind="web",state="AVAIL"} 0`);
    expect(lines.filter((line) => line.startsWith('pcheck_entry_stall_state{'))).toHaveLength(5);
    expect(lines).toContain(`pcheck_entry_retries_in_window{${HTTPD}} 2`);
    expect(lines).toContain(`pcheck_entry_last_restart_timestamp_seconds{${HTTPD}} ${new Date(2026, 0, 2, 3, 4, 5).getTime() / 1000}`);
    expect(lines).toContain('pcheck_entry_last_restart_timestamp_seconds{pent_id="2",pname="sshd"} 0');
    expect(lines).toContain(`pcheck_entry_cpu_seconds_total{${HTTPD}} 1.5`);
    expect(lines).toContain(`pcheck_entry_resident_memory_bytes{${HTTPD}} 4096`);
    // no process, no usage series; one pidusage call for the watched pids only
    expect(lines.some((line) => line.startsWith('pcheck_entry_resident_memory_bytes{pent_id="2"'))).toBe(false);
    expect(state.usageCalls).toEqual([[100]]);
    expect(lines).toContain('pcheck_build_info{version="1.2.3"} 1');
  });

  it('gauges follow the views at each scrape', async () => {
    const { metrics, state } = setup([view()]);
    expect(await samples(metrics)).toContain(`pcheck_entry_up{${HTTPD}} 1`);
    state.views = [view({ proc_sts: 'RESTART', pid: null })];
    const lines = await samples(metrics);
    expect(lines).toContain(`pcheck_entry_up{${HTTPD}} 0`);
    expect(lines).toContain(`pcheck_entry_state{${HTTPD},state="RESTART"} 1`);
    expect(lines).toContain(`pcheck_entry_state{${HTTPD},state="AVAIL"} 0`);
  });

  it('counters come from the event stream: restarts by reason, retry overs; zero series exist from the start', async () => {
    const { metrics } = setup([view({ stall_chk: [{ kind: 'skt', state: 'AVAIL' }] })]);
    const before = await samples(metrics);
    for (const reason of ['down', 'zombie', 'stall', 'notfound', 'limit']) expect(before).toContain(`pcheck_entry_restarts_total{${HTTPD},reason="${reason}"} 0`);
    expect(before).toContain(`pcheck_entry_retry_overs_total{${HTTPD}} 0`);
    expect(before).toContain(`pcheck_entry_limit_breaches_total{${HTTPD},limit="rss"} 0`);
    expect(before).toContain(`pcheck_probe_failures_total{${HTTPD},kind="skt",fault="server"} 0`);
    const entry = { pentId: 1, pname: '/usr/sbin/httpd' };
    metrics.sink(eventOf('tryRestart', { name: entry.pname, reason: 'down', retry: 1 }, entry));
    metrics.sink(eventOf('tryRestart', { name: entry.pname, reason: 'down', retry: 2 }, entry));
    metrics.sink(eventOf('tryRestart', { name: entry.pname, reason: 'zombie', retry: 3 }, entry));
    metrics.sink(eventOf('retryOver', { name: entry.pname, action: 'continue', retries: 3 }, entry));
    metrics.sink(eventOf('limitBreached', { name: entry.pname, pid: 5, kind: 'rss', value: 300 * 2 ** 20, limit: 200 * 2 ** 20, hold: 60, action: 'restart' }, entry));
    metrics.sink(eventOf('up', { name: entry.pname, pid: 5 }, entry));
    const after = await samples(metrics);
    expect(after).toContain(`pcheck_entry_restarts_total{${HTTPD},reason="down"} 2`);
    expect(after).toContain(`pcheck_entry_restarts_total{${HTTPD},reason="zombie"} 1`);
    expect(after).toContain(`pcheck_entry_restarts_total{${HTTPD},reason="stall"} 0`);
    expect(after).toContain(`pcheck_entry_retry_overs_total{${HTTPD}} 1`);
    expect(after).toContain(`pcheck_entry_limit_breaches_total{${HTTPD},limit="rss"} 1`);
    expect(after).toContain(`pcheck_entry_limit_breaches_total{${HTTPD},limit="cpu"} 0`);
  });

  it('reload success and failure', async () => {
    const { metrics } = setup([]);
    const started = await samples(metrics);
    expect(started).toContain('pcheck_config_last_reload_successful 1');
    metrics.sink(eventOf('reloadRefused', { pfile: '/p', errors: 2 }));
    expect(await samples(metrics)).toContain('pcheck_config_last_reload_successful 0');
    metrics.sink(eventOf('reloaded', { pfile: '/p', entries: 1, kept: 1, added: 0, removed: 0 }, null, 1_800_000_000_000));
    const lines = await samples(metrics);
    expect(lines).toContain('pcheck_config_last_reload_successful 1');
    expect(lines).toContain('pcheck_config_last_reload_success_timestamp_seconds 1800000000');
  });

  it('histograms: restart script and probe durations by wrapping; probe failures by kind and fault', async () => {
    const { metrics } = setup([view({ stall_chk: [{ kind: 'web', state: 'AVAIL' }] })]);
    const entry = { pentId: 1, pname: '/usr/sbin/httpd' };
    const script = timedScript(async () => ({ outcome: 'ok', status: 'exit=0', endedBy: null, output: '', truncated: false }), metrics);
    await script('/etc/restart.sh', { env: { PS_PENT_ID: '1', PS_PNAME: '/usr/sbin/httpd' }, timeoutMs: 1000 });
    let answer: { ok: true; detail: string } | { ok: false; error: string; fault: 'server' | 'unknown' } = { ok: true, detail: 'HTTP/1.1 200' };
    const probe = timedProbe(async () => answer, metrics);
    const target = { host: '127.0.0.1', port: 80, path: '/', timeoutMs: 1000 };
    await probe('web', target, entry);
    answer = { ok: false, error: 'ECONNREFUSED', fault: 'server' };
    await probe('web', target, entry);
    answer = { ok: false, error: 'EAI_AGAIN', fault: 'unknown' };
    await probe('web', target, entry);
    const lines = await samples(metrics);
    expect(lines).toContain(`pcheck_restart_script_duration_seconds_count{${HTTPD}} 1`);
    expect(lines).toContain(`pcheck_restart_script_duration_seconds_bucket{le="+Inf",${HTTPD}} 1`);
    expect(lines).toContain(`pcheck_probe_duration_seconds_count{${HTTPD},kind="web"} 3`);
    expect(lines).toContain(`pcheck_probe_failures_total{${HTTPD},kind="web",fault="server"} 1`);
    expect(lines).toContain(`pcheck_probe_failures_total{${HTTPD},kind="web",fault="unknown"} 1`);
    metrics.observeTick(0.0002);
    expect(await samples(metrics)).toContain('pcheck_liveness_tick_duration_seconds_count 1');
  });

  it('alert queue lengths by destination', async () => {
    const { metrics } = setup([], new Map(), [
      { destination: 'ops-mail', queued: 3 },
      { destination: 'hook', queued: 0 },
    ]);
    const lines = await samples(metrics);
    expect(lines).toContain('pcheck_alert_queue_length{destination="ops-mail"} 3');
    expect(lines).toContain('pcheck_alert_queue_length{destination="hook"} 0');
  });

  it('escapes odd pnames in label values: quote, backslash, newline', async () => {
    const odd = 'my "app"\\v2\nx';
    const { metrics } = setup([view({ pname: odd })]);
    metrics.sink(eventOf('tryRestart', { name: odd, reason: 'down', retry: 1 }, { pentId: 1, pname: odd }));
    const lines = await samples(metrics);
    expect(lines).toContain('pcheck_entry_up{pent_id="1",pname="my \\"app\\"\\\\v2\\nx"} 1');
    expect(lines).toContain('pcheck_entry_restarts_total{pent_id="1",pname="my \\"app\\"\\\\v2\\nx",reason="down"} 1');
  });

  it('an entry a reload removed leaves no counter or histogram series', async () => {
    const { metrics, state } = setup([view(), view({ pent_id: 2, pname: 'sshd' })]);
    const sshd = { pentId: 2, pname: 'sshd' };
    metrics.sink(eventOf('tryRestart', { name: 'sshd', reason: 'down', retry: 1 }, sshd));
    metrics.observeScript(sshd, 0.5);
    expect((await samples(metrics)).some((line) => line.includes('pname="sshd"'))).toBe(true);
    state.views = [view()];
    const lines = await samples(metrics);
    expect(lines.filter((line) => line.includes('pname="sshd"'))).toEqual([]);
    expect(lines).toContain(`pcheck_entry_up{${HTTPD}} 1`);
  });

  it('a resource reading that hangs or fails does not hold the scrape: usage is left out', async () => {
    const source: MetricsSource = { views: () => [view()], alertQueues: () => [], usage: () => new Promise(() => undefined) };
    const hung = new PcheckMetrics(source, { version: '1', defaultMetrics: false, usageTimeoutMs: 50 });
    const lines = await samples(hung);
    expect(lines).toContain(`pcheck_entry_up{${HTTPD}} 1`);
    expect(lines.some((line) => line.startsWith('pcheck_entry_resident_memory_bytes{'))).toBe(false);
    const failing = new PcheckMetrics({ ...source, usage: () => Promise.reject(new Error('EMFILE')) }, { version: '1', defaultMetrics: false });
    expect(await samples(failing)).toContain(`pcheck_entry_up{${HTTPD}} 1`);
  });

  it('default metrics go to its own registry, with event-loop lag, and without the _total gauges', async () => {
    const metrics = new PcheckMetrics({ views: () => [], alertQueues: () => [], usage: async () => new Map() }, { version: '1' });
    const text = await scrapeText(metrics);
    expect(text).toContain('process_cpu_seconds_total');
    expect(text).toContain('nodejs_eventloop_lag_seconds');
    expect(text).not.toContain('nodejs_active_handles_total');
    expect(metrics.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
  });

  it('rerunSeconds reads show pent\'s rerun_time in local time', () => {
    expect(rerunSeconds(null)).toBe(0);
    expect(rerunSeconds('2026/11/25 01:02:03')).toBe(new Date(2026, 10, 25, 1, 2, 3).getTime() / 1000);
  });
});
