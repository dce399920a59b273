// The fleet view's cost: `/metrics` scrape time with 1000 entries (goal < 50 ms), and the idle CPU
// of pcheck with 100 entries with the metrics endpoint (scraped every 5 s) and resource sampling
// (UsageInterval 5) on, against both off, the two side by side: the CPU they add (goal < 1 % of a
// core). Idle means after a warm-up: the first scrape (which starts prom-client's default metrics)
// and the first resource sample (its page size and clock tick, read once) are start-up costs, taken
// before the window.
import { writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { startPcheck, waitFor } from './daemon.js';
import { benchEnv, cpuMs, killStarted, name, percentile, report, sleep, startSleepers, tempDir, writeRestartScript } from './lib.js';

const WINDOW_MS = 30_000;
/** One scrape, then one UsageInterval and a second, before an idle window. */
const WARM_UP_MS = 6000;
/** "Off": no endpoint, and a sampling interval so long that no sample is taken in the window. */
const USAGE_OFF = 'UsageInterval 2147483\n';

/** A free TCP port on 127.0.0.1. */
async function freePort() {
  const { createServer } = await import('node:net');
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** One GET /metrics; resolves with its wall time in ms and the body's size. */
function scrape(port) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = request({ host: '127.0.0.1', port, path: '/metrics' }, (response) => {
      let bytes = 0;
      response.on('data', (chunk) => (bytes += chunk.length));
      response.on('end', () => resolve({ ms: performance.now() - started, bytes }));
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * pcheck -F for each of `heads` (its pfile's head), each over its own `count` sleepers (names apart);
 * `body` runs with them all once every entry is Up.
 */
async function withPchecks(count, heads, body) {
  const temp = tempDir();
  const script = writeRestartScript(temp.dir);
  const pchecks = [];
  try {
    for (const [index, head] of heads.entries()) {
      const offset = index * count;
      const pids = await startSleepers(count, offset);
      const pfile = join(temp.dir, `pfile${index}`);
      writeFileSync(pfile, `${head}${pids.map((_, entry) => `${name(entry + offset)} ${script}`).join('\n')}\n`);
      const dirs = { PCHECK_RUN_DIR: join(temp.dir, `run${index}`), PCHECK_LOG_DIR: join(temp.dir, `log${index}`) };
      pchecks.push(startPcheck(pfile, benchEnv({ ...dirs, PCHECK_SYSLOG_SOCKET: join(temp.dir, 'none') })));
    }
    for (const pcheck of pchecks) await waitFor(() => pcheck.lines.filter((line) => line.endsWith(') Up')).length >= count, 60_000, `${count} Up lines`);
    await sleep(2000);
    return await body(pchecks);
  } finally {
    for (const pcheck of pchecks) pcheck.child.kill('SIGKILL');
    await killStarted();
    temp.remove();
  }
}

/**
 * Whole-process CPU % of a core of each pcheck over the same WINDOW_MS, after the warm-up, calling
 * `during` every 5 s meanwhile. Measured side by side, a busy machine weighs on both alike.
 */
async function idleCpu(pchecks, during) {
  await during();
  await sleep(WARM_UP_MS);
  const before = pchecks.map((pcheck) => cpuMs(pcheck.child.pid));
  const end = Date.now() + WINDOW_MS;
  while (Date.now() < end) {
    await during();
    await sleep(Math.min(5000, end - Date.now()));
  }
  return pchecks.map((pcheck, index) => ((cpuMs(pcheck.child.pid) - before[index]) / WINDOW_MS) * 100);
}

export async function run() {
  console.log('metrics: /metrics scrape time with 1000 entries; idle CPU with 100 entries, metrics and sampling on vs off');
  const port = await freePort();
  await withPchecks(1000, [`MetricsListen 127.0.0.1:${port}\nUsageInterval 5\n`], async ([pcheck]) => {
    await scrape(port); // the first scrape starts the default metrics
    await sleep(WARM_UP_MS);
    const times = [];
    let bytes = 0;
    const idleFrom = cpuMs(pcheck.child.pid);
    await sleep(5000);
    const idleMsPerMs = (cpuMs(pcheck.child.pid) - idleFrom) / 5000;
    const started = performance.now();
    const before = cpuMs(pcheck.child.pid);
    for (let round = 0; round < 20; round += 1) {
      const result = await scrape(port);
      times.push(result.ms);
      bytes = result.bytes;
      await sleep(250);
    }
    // pcheck's own CPU for the scrapes: less sensitive to a busy machine than their wall time
    const perScrape = (cpuMs(pcheck.child.pid) - before - idleMsPerMs * (performance.now() - started)) / times.length;
    report('metrics', `scrape of 1000 entries p50 (${Math.round(bytes / 1024)} KiB), ms`, percentile(times, 50), 'ms', 50);
    report('metrics', 'scrape of 1000 entries p90, ms', percentile(times, 90), 'ms', 50);
    report('metrics', 'pcheck CPU per scrape of 1000 entries, ms', perScrape, 'ms');
  });

  const onPort = await freePort();
  const [off, on] = await withPchecks(100, [USAGE_OFF, `MetricsListen 127.0.0.1:${onPort}\nUsageInterval 5\n`], (pchecks) =>
    idleCpu(pchecks, async () => {
      await scrape(onPort);
    }),
  );
  report('metrics', 'idle CPU, 100 entries, metrics and sampling off, % of a core', off, '%');
  report('metrics', 'idle CPU, 100 entries, scraped every 5 s and sampling every 5 s, % of a core', on, '%', null, off);
  report('metrics', 'CPU added by metrics and sampling, % of a core', on - off, '%', 1);
}
