// The metrics endpoint of a real pcheck: scraped by a real Prometheus, checked by promtool, served
// over TCP and a Unix socket; a port in use stops a start, and a reload keeps the old endpoint.
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect, createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually, freePort, padmin, Pcheck, PCHECK, run, sandbox, watchedFixture, type Sandbox } from './harness.js';
import { PROMTOOL, start as startPrometheus, type PrometheusServer } from './servers/prometheus.js';

let box: Sandbox;
let pcheck: Pcheck | null = null;
let prometheus: PrometheusServer | null = null;
let blocker: Server | null = null;

afterEach(async () => {
  await prometheus?.stop();
  prometheus = null;
  await pcheck?.stop();
  pcheck = null;
  blocker?.close();
  blocker = null;
  box.cleanup();
});

const upLine = (fixture: string) => new RegExp(`\\('${fixture}' ,pid=(\\d+)\\) Up`);
const pidOf = (line: string) => Number(/pid=(\d+)/.exec(line)?.[1]);

/** GET over TCP (`port`) or a Unix socket (`socketPath`): status, Content-Type and body. */
function get(where: { port: number } | { socketPath: string }, path = '/metrics'): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    const target = 'port' in where ? { host: '127.0.0.1', port: where.port } : { socketPath: where.socketPath };
    const req = request({ ...target, path, timeout: 10_000 }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, type: String(response.headers['content-type']), body }));
    });
    req.on('error', reject);
    req.end();
  });
}

function promtoolCheck(text: string): Promise<{ status: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = execFile(PROMTOOL, ['check', 'metrics'], { timeout: 20_000 }, (error, stdout, stderr) =>
      resolve({ status: error === null ? 0 : ((error as { code?: number }).code ?? null), output: stdout + stderr }),
    );
    child.stdin?.end(text);
  });
}

/** The sample value of the series `line` starts with (`name{labels}`), or undefined. */
function valueOf(text: string, series: string): number | undefined {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('metrics endpoint', () => {
  it('Prometheus scraping a real pcheck sees restarts_total{reason="down"} go up after kill -9 of the watched process', async () => {
    box = sandbox();
    const port = await freePort();
    const { fixture, pfile } = watchedFixture(box, `MetricsListen 127.0.0.1:${port}\n`);
    pcheck = new Pcheck(pfile, box.env);
    const first = pidOf(await pcheck.waitFor(upLine(fixture)));
    prometheus = await startPrometheus(box, { targets: [`127.0.0.1:${port}`] });
    const restarts = `pcheck_entry_restarts_total{pent_id="1",reason="down"}`;
    const before = await eventually(async () => (await prometheus?.query(restarts))?.[0], 30_000, 'a first scrape of pcheck');
    expect(before.value).toBe(0);
    expect(before.metric).toMatchObject({ pname: fixture, job: 'pcheck', instance: `127.0.0.1:${port}` });
    expect((await prometheus.query('pcheck_entry_up'))[0]?.value).toBe(1);

    process.kill(first, 'SIGKILL');
    await pcheck.waitForCount(upLine(fixture), 2);
    const after = await eventually(
      async () => (await prometheus?.query(restarts))?.find((sample) => sample.value === 1),
      30_000,
      'the restart counter at 1 in Prometheus',
    );
    expect(after.metric.pname).toBe(fixture);
    // the restart shows as an increase, and the entry is up again with a restart time
    await eventually(async () => ((await prometheus?.query(`increase(${restarts}[1m])`))?.[0]?.value ?? 0) > 0 || undefined, 30_000, 'an increase');
    await eventually(async () => (await prometheus?.query('pcheck_entry_up == 1'))?.[0], 30_000, 'up again');
    expect((await prometheus.query('pcheck_entry_last_restart_timestamp_seconds > 0')).length).toBe(1);
    expect(await prometheus.targetHealth()).toEqual(['up']);
  }, 120_000);

  it('a real scrape passes promtool check metrics, with probe, script and resource series', async () => {
    box = sandbox();
    const port = await freePort();
    const silent = await freePort();
    const { fixture, pfile } = watchedFixture(box, `MetricsListen 127.0.0.1:${port}\nUsageInterval 0.5\n`);
    // a socket probe to a port nothing listens on: failures by the server's fault, long before a stall
    writeFileSync(pfile, `${readFileSync(pfile, 'utf8')}_bi_socket {\n PS_EXEC DLL:x:DIRECT:1:1:0:2:600:${silent}\n}\n`);
    pcheck = new Pcheck(pfile, box.env);
    const first = pidOf(await pcheck.waitFor(upLine(fixture)));
    process.kill(first, 'SIGKILL');
    await pcheck.waitForCount(upLine(fixture), 2);
    const text = await eventually(async () => {
      const scraped = (await get({ port })).body;
      const failed = (valueOf(scraped, 'pcheck_probe_failures_total{pent_id="1",pname="' + fixture + '",kind="skt",fault="server"}') ?? 0) > 0;
      // resource series come from the last usage sample (every 0.5 s here), which must have seen the new pid
      const sampled = valueOf(scraped, 'pcheck_entry_resident_memory_bytes{pent_id="1",pname="' + fixture + '"}') !== undefined;
      return failed && sampled ? scraped : undefined;
    }, 20_000, 'a counted probe failure and a resource sample');
    const checked = await promtoolCheck(text);
    expect(checked.output).toBe('');
    expect(checked.status).toBe(0);
    const labels = `pent_id="1",pname="${fixture}"`;
    expect(valueOf(text, `pcheck_entry_restarts_total{${labels},reason="down"}`)).toBe(1);
    expect(valueOf(text, `pcheck_restart_script_duration_seconds_count{${labels}}`)).toBe(1);
    expect(valueOf(text, `pcheck_probe_duration_seconds_count{${labels},kind="skt"}`)).toBeGreaterThan(0);
    const stallStates = ['INIT', 'AVAIL', 'DETECT', 'UNAVAIL', 'UNKNOWN'].map((state) => valueOf(text, `pcheck_entry_stall_state{${labels},kind="skt",state="${state}"}`));
    expect(stallStates.filter((value) => value === 1)).toHaveLength(1);
    expect(stallStates.filter((value) => value === 0)).toHaveLength(4);
    expect(valueOf(text, `pcheck_entry_resident_memory_bytes{${labels}}`)).toBeGreaterThan(0);
    expect(valueOf(text, `pcheck_entry_cpu_seconds_total{${labels}}`)).toBeGreaterThanOrEqual(0);
    expect(valueOf(text, 'pcheck_liveness_tick_duration_seconds_count')).toBeGreaterThan(0);
    expect(text).toContain('nodejs_eventloop_lag_seconds');
    expect(text).toContain('process_resident_memory_bytes');
  }, 60_000);

  it('serves GET / and 404 for anything else; a client that never finishes its request is cut off while others are served', async () => {
    box = sandbox();
    const port = await freePort();
    const { fixture, pfile } = watchedFixture(box, `MetricsListen 127.0.0.1:${port}\n`);
    pcheck = new Pcheck(pfile, box.env);
    await pcheck.waitFor(upLine(fixture));
    const page = await get({ port }, '/');
    expect(page.status).toBe(200);
    expect(page.body).toContain('/metrics');
    expect((await get({ port }, '/nope')).status).toBe(404);
    const metrics = await get({ port });
    expect(metrics.type).toBe('text/plain; version=0.0.4; charset=utf-8');

    const slow = connect(port, '127.0.0.1');
    const closed = new Promise<void>((resolve) => slow.on('close', () => resolve()));
    let told = '';
    slow.on('data', (chunk: Buffer) => (told += chunk.toString()));
    slow.on('error', () => undefined);
    slow.write('GET /metrics HTTP/1.1\r\nHost: x\r\n');
    expect((await get({ port })).body).toContain('pcheck_entry_up');
    await closed;
    expect(told).toMatch(/^HTTP\/1\.1 408 /);
  }, 30_000);

  it('MetricsListen on a Unix socket: the text over the socket', async () => {
    box = sandbox();
    const socketPath = join(box.dir, 'metrics.sock');
    const { fixture, pfile } = watchedFixture(box, `MetricsListen ${socketPath}\n`);
    pcheck = new Pcheck(pfile, box.env);
    await pcheck.waitFor(upLine(fixture));
    const answer = await eventually(async () => get({ socketPath }).catch(() => undefined), 10_000, 'the metrics socket');
    expect(answer.status).toBe(200);
    expect(answer.body).toContain(`pcheck_entry_up{pent_id="1",pname="${fixture}"} 1`);
    const curl = await run('curl', ['-sS', '--unix-socket', socketPath, 'http://localhost/metrics'], box.env);
    expect(curl.stdout).toContain('pcheck_build_info{version=');
    // an orderly stop removes the socket
    pcheck.kill('SIGTERM');
    expect(await pcheck.exited).toBe(0);
    await expect(get({ socketPath })).rejects.toThrow(/ENOENT/);
  }, 30_000);

  it('a port in use: the start fails and says so; nothing is left running', async () => {
    box = sandbox();
    blocker = createServer();
    const port = await new Promise<number>((resolve) => blocker?.listen(0, '127.0.0.1', () => resolve((blocker?.address() as { port: number }).port)));
    const { pfile } = watchedFixture(box, `MetricsListen 127.0.0.1:${port}\n`);
    const started = await run(process.execPath, [PCHECK, '-f', pfile], box.env);
    expect(started.status).toBe(1);
    expect(started.stderr).toContain(`cannot open the metrics endpoint MetricsListen 127.0.0.1:${port}: listen EADDRINUSE`);
    // the lock was released: padmin finds no pcheck
    expect((await padmin(pfile, box.env, '-c', 'show', 'pent')).status).not.toBe(0);
  }, 30_000);

  it('reload: a new MetricsListen moves the endpoint; one in use keeps the old endpoint and logs PC401', async () => {
    box = sandbox();
    const first = await freePort();
    const { fixture, pfile } = watchedFixture(box, `MetricsListen 127.0.0.1:${first}\n`);
    const entryLine = readFileSync(pfile, 'utf8').split('\n')[1];
    pcheck = new Pcheck(pfile, box.env);
    await pcheck.waitFor(upLine(fixture));
    expect((await get({ port: first })).status).toBe(200);

    blocker = createServer();
    const taken = await new Promise<number>((resolve) => blocker?.listen(0, '127.0.0.1', () => resolve((blocker?.address() as { port: number }).port)));
    writeFileSync(pfile, `MetricsListen 127.0.0.1:${taken}\n${entryLine}\n`);
    expect((await padmin(pfile, box.env, '-c', 'reload')).status).toBe(0);
    await pcheck.waitFor(new RegExp(`Metrics endpoint not opened on 127\\.0\\.0\\.1:${taken}: listen EADDRINUSE.*; still serving on 127\\.0\\.0\\.1:${first}`));
    expect((await get({ port: first })).body).toContain('pcheck_config_last_reload_successful 1');

    const second = await freePort();
    writeFileSync(pfile, `MetricsListen 127.0.0.1:${second}\n${entryLine}\n`);
    const moved = await padmin(pfile, box.env, '-c', 'reload');
    expect(moved.stdout + moved.stderr, `padmin said: ${moved.stdout}${moved.stderr}`).toContain('reloaded');
    expect(moved.status).toBe(0);
    expect((await get({ port: second })).body).toContain('pcheck_entry_up');
    await expect(get({ port: first })).rejects.toThrow(/ECONNREFUSED/);

    // an error in the pfile: refused, and the metric says so
    writeFileSync(pfile, `MetricsListen 127.0.0.1:${second}\nMonitorInterval zero\n${entryLine}\n`);
    expect((await padmin(pfile, box.env, '-c', 'reload')).status).not.toBe(0);
    expect((await get({ port: second })).body).toContain('pcheck_config_last_reload_successful 0');
  }, 60_000);
});
