// The cost of resource sampling (issue 10): one resource sample of 1000 pids (src/system/proc-usage.ts) (wall and CPU ms), and
// how late the 0.2 s liveness ticks of 1000 entries run while samples are taken back to back,
// against the same ticks without sampling (the floor). In process: the Supervisor with real OS deps.
import { performance } from 'node:perf_hooks';
import { Supervisor } from '../dist/daemon/supervisor.js';
import { DEFAULTS } from '../dist/pfile/types.js';
import { readStat, StatHandle } from '../dist/system/proc.js';
import { ProcessScanner } from '../dist/system/scan.js';
import { UsageSampler } from '../dist/system/usage.js';
import { killStarted, name, percentile, report, sleep, startSleepers } from './lib.js';

const ENTRIES = 1000;
const SAMPLES = 20;
const TICK_MS = DEFAULTS.livenessInterval * 1000;
const WINDOW_MS = 10_000;

/** Liveness ticks every TICK_MS for WINDOW_MS, each timed against its schedule; `during` runs meanwhile. */
async function tickLateness(supervisor, during) {
  const late = [];
  let stop = false;
  const start = performance.now();
  const ticks = (async () => {
    for (let index = 1; !stop; index += 1) {
      const due = start + index * TICK_MS;
      await sleep(Math.max(0, due - performance.now()));
      late.push(performance.now() - due);
      supervisor.livenessTick();
    }
  })();
  const background = during(() => stop);
  await sleep(WINDOW_MS);
  stop = true;
  await Promise.all([ticks, background]);
  return late;
}

export async function run() {
  console.log(`usage: resource samples of ${ENTRIES} sleeping processes; liveness ticks of ${ENTRIES} entries every ${TICK_MS} ms`);
  const pids = await startSleepers(ENTRIES);
  try {
    const limits = { maxRss: null, maxCpu: 50, hold: 60, action: 'log' };
    const entries = pids.map((_, index) => ({
      pentId: index + 1, line: index + 1, pname: name(index), restartScript: '/bin/true', retryCount: 3, grace: 86400,
      retryOverAction: 'continue', args: null, user: null, uid: null, pidfile: null, scriptTimeout: 300, startWait: 30,
      tlsVerify: false, tlsCa: null, limits, stall: [],
    }));
    const config = {
      file: '/bench/pfile', monitorInterval: 10, livenessInterval: DEFAULTS.livenessInterval, usageInterval: 1, dumpFileName: null,
      logFile: 'none', entries, alertFile: null, alerts: null,
    };
    const sampler = new UsageSampler(1000, 10_000);
    const scanner = new ProcessScanner(() => performance.now());
    const log = { emit: () => undefined, close: async () => undefined, reopen: () => undefined };
    const supervisor = new Supervisor(config, {
      now: () => performance.now(), wallNow: () => Date.now(), scan: () => scanner.scan(),
      watch: (pid, startTime) => StatHandle.open(pid, startTime), statOf: (pid) => readStat(pid), readPidfile: () => null,
      runScript: async () => ({ outcome: 'ok', status: 'exit=0', endedBy: null, output: '', truncated: false }),
      probe: async () => ({ ok: true, detail: '' }), kill: () => null, readCa: () => '',
      usage: (sampled) => sampler.sample(sampled),
      after: () => () => undefined, log: () => log, onFatalRetryOver: () => undefined,
    });
    supervisor.fullCheck();
    const found = supervisor.views().filter((view) => view.proc_sts === 'AVAIL').length;
    if (found !== ENTRIES) throw new Error(`only ${found} of ${ENTRIES} entries found their process`);

    // the first sample opens a descriptor per pid and reads each twice; later ones reuse them
    const firstAt = performance.now();
    const first = await sampler.sample(pids);
    const firstMs = performance.now() - firstAt;
    if (first.size !== ENTRIES) throw new Error(`the first sample read ${first.size} of ${ENTRIES} pids`);
    const wall = [];
    const cpu = [];
    for (let index = 0; index < SAMPLES; index += 1) {
      await sleep(100);
      const before = process.cpuUsage();
      const at = performance.now();
      const sample = await sampler.sample(pids);
      wall.push(performance.now() - at);
      const used = process.cpuUsage(before);
      cpu.push((used.user + used.system) / 1000);
      if (sample.size !== ENTRIES) throw new Error(`a sample read ${sample.size} of ${ENTRIES} pids`);
    }
    report('usage', 'first sample of 1000 pids, wall ms', firstMs, 'ms');
    report('usage', 'sample of 1000 pids, wall ms p50', percentile(wall, 50), 'ms');
    report('usage', 'sample of 1000 pids, CPU ms p50', percentile(cpu, 50), 'ms');
    report('usage', 'sampling CPU at UsageInterval 5, % of a core', (percentile(cpu, 50) / 5000) * 100, '%');

    const quiet = await tickLateness(supervisor, async () => undefined);
    let samplesTaken = 0;
    const busy = await tickLateness(supervisor, async (stopped) => {
      // back to back, through the supervisor as the daemon does: the worst case, not UsageInterval's
      while (!stopped()) {
        supervisor.usageTick();
        await sleep(0);
        await new Promise((resolve) => setImmediate(resolve));
        samplesTaken += 1;
        await sleep(20);
      }
    });
    const quietP99 = percentile(quiet, 99);
    report('usage', 'tick lateness without sampling, ms p50', percentile(quiet, 50), 'ms');
    report('usage', 'tick lateness without sampling, ms p99', quietP99, 'ms');
    report('usage', 'tick lateness, sampling back to back, ms p50', percentile(busy, 50), 'ms');
    report('usage', 'tick lateness, sampling back to back, ms p99', percentile(busy, 99), 'ms', null, quietP99);
    report('usage', 'tick lateness, sampling back to back, ms max', Math.max(...busy), 'ms');
    console.log(`  (${samplesTaken} usage ticks in ${WINDOW_MS / 1000} s; a tick while a sample runs is skipped)`);
    supervisor.stop();
  } finally {
    await killStarted();
  }
}
