// `npm run bench -- --peers`: pcheck beside Debian's monit on the same workload, each in a PID
// namespace of its own (bench/ns.js): 1000 sleeping processes, idle CPU over 10 s, kill -> restart
// script latency over single kills, and 100 of them killed at once (until every restart script ran,
// until the monitor reports them all up). monit runs in the foreground (-I) on a control file of the
// bench's own (`set daemon 1`, pidfile checks, its state, id, pid and log files in a temp dir), and
// is killed by its pid at the end. Skipped, with a line saying so, where monit is not installed.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { waitFor } from './daemon.js';
import { startPcheck } from './daemon.js';
import { allAvail, ENTRIES, KILLED } from './mass-failure.js';
import { benchEnv, cpuMs, killStarted, name, percentile, readRanLog, report, sleep, startSleepers, tempDir, writeRestartScript } from './lib.js';
import { insideNamespace, runInNamespace, sendResult } from './ns.js';

const SINGLE_KILLS = 10;
const IDLE_MS = 10_000;

export async function run() {
  if (spawnSync('monit', ['-V']).status !== 0) {
    console.log('peers: monit is not installed (apt-get install monit): no comparison made');
    return;
  }
  console.log(`peers: pcheck and monit (set daemon 1) on ${ENTRIES} sleeping processes, each in its own PID namespace`);
  const figures = {};
  for (const monitor of ['pcheck', 'monit']) {
    figures[monitor] = await runInNamespace(new URL(import.meta.url), ['--inside', monitor], benchEnv()).done;
    const f = figures[monitor];
    report('peers', `${monitor}: idle CPU, % of a core`, f.idleCpu, '%');
    report('peers', `${monitor}: kill -> restart script p50, ms`, f.restartP50, 'ms');
    report('peers', `${monitor}: kill -> restart script max, ms`, f.restartMax, 'ms');
    report('peers', `${monitor}: ${KILLED} killed, every script ran, ms`, f.scriptsMs, 'ms');
    report('peers', `${monitor}: ${KILLED} killed, reported all up, ms`, f.shownMs, 'ms');
  }
  const { pcheck, monit } = figures;
  report('peers', 'pcheck/monit idle CPU', pcheck.idleCpu / monit.idleCpu, 'x', 0.6);
  report('peers', 'pcheck/monit kill -> restart p50', pcheck.restartP50 / monit.restartP50, 'x');
  report('peers', 'pcheck/monit kill -> restart max', pcheck.restartMax / monit.restartMax, 'x');
  report('peers', `pcheck/monit ${KILLED} killed, every script ran`, pcheck.scriptsMs / monit.scriptsMs, 'x');
  report('peers', `pcheck/monit ${KILLED} killed, reported all up`, pcheck.shownMs / monit.shownMs, 'x');
}

/** pcheck -F on the workload: how to ask it whether all are up, its pid, how to stop it. */
async function startPcheckMonitor(dir, ranLog, env) {
  const script = writeRestartScript(dir, ranLog);
  const pfile = join(dir, 'pfile');
  writeFileSync(pfile, `MonitorInterval 10\n${Array.from({ length: ENTRIES }, (_, index) => `${name(index)} ${script} 3 86400 continue start_wait=10`).join('\n')}\n`);
  const pcheckEnv = { ...env, PCHECK_RUN_DIR: join(dir, 'run'), PCHECK_LOG_DIR: join(dir, 'log'), PCHECK_SYSLOG_SOCKET: join(dir, 'none') };
  let ups = 0;
  const pcheck = startPcheck(pfile, pcheckEnv, (line) => {
    if (line.endsWith(') Up')) ups += 1;
  });
  await waitFor(() => ups >= ENTRIES, 60_000, `${ENTRIES} Up lines`);
  return {
    pid: pcheck.child.pid,
    allUp: () => allAvail(pfile, pcheckEnv),
    stop: async () => {
      spawnSync(process.execPath, ['bin/padmin.js', '-f', pfile, '-c', 'shutdown'], { env: pcheckEnv });
      pcheck.child.kill('SIGKILL');
    },
  };
}

/** monit -I on its own control file; the sleepers' pidfiles are written here first. */
async function startMonit(dir, ranLog, pids) {
  const pidDir = join(dir, 'pids');
  mkdirSync(pidDir);
  pids.forEach((pid, index) => writeFileSync(join(pidDir, `${name(index)}.pid`), `${pid}\n`));
  const start = join(dir, 'start.sh');
  writeFileSync(
    start,
    `#!/bin/bash\nsetsid bash -c 'echo $$ > "$1"; exec -a "$0" sleep 100000' "$1" "${pidDir}/$1.pid" >/dev/null 2>&1 </dev/null &\necho "$1 $EPOCHREALTIME" >> '${ranLog}'\n`,
    { mode: 0o755 },
  );
  const rc = join(dir, 'monitrc');
  const checks = pids.map((_, index) => `check process ${name(index)} with pidfile ${pidDir}/${name(index)}.pid\n  start program = "${start} ${name(index)}"\n`);
  writeFileSync(
    rc,
    [
      'set daemon 1',
      `set pidfile ${dir}/monit.pid`,
      `set idfile ${dir}/monit.id`,
      `set statefile ${dir}/monit.state`,
      `set logfile ${dir}/monit.log`,
      `set httpd unixsocket ${dir}/monit.sock`,
      '  allow bench:bench',
      ...checks,
    ].join('\n'),
  );
  chmodSync(rc, 0o600);
  const monit = spawn('monit', ['-I', '-c', rc], { stdio: 'ignore' });
  const allUp = () => {
    const summary = spawnSync('monit', ['-c', rc, 'summary'], { encoding: 'utf8' });
    if (summary.status !== 0) return false;
    const ok = summary.stdout.split('\n').filter((line) => /^\s*pcheck-bench-\d+\s+OK\s/.test(line)).length;
    return ok === ENTRIES;
  };
  await waitFor(allUp, 120_000, `monit to report ${ENTRIES} processes OK`);
  return { pid: monit.pid, allUp: async () => allUp(), stop: async () => monit.kill('SIGKILL') };
}

async function inside(monitorName) {
  if (!insideNamespace()) throw new Error('peers --inside runs only under bench/ns.js');
  const temp = tempDir();
  const ranLog = join(temp.dir, 'ran.log');
  const pids = await startSleepers(ENTRIES);
  let monitor = null;
  try {
    monitor = monitorName === 'pcheck' ? await startPcheckMonitor(temp.dir, ranLog, process.env) : await startMonit(temp.dir, ranLog, pids);
    await sleep(3000);
    const before = cpuMs(monitor.pid);
    await sleep(IDLE_MS);
    const idleCpu = ((cpuMs(monitor.pid) - before) / IDLE_MS) * 100;

    // single kills, away from the mass-failure set (index % 10 === 0)
    const latencies = [];
    for (let kill = 0; kill < SINGLE_KILLS; kill += 1) {
      const index = kill * (ENTRIES / SINGLE_KILLS) + 5;
      const ranBefore = readRanLog(ranLog).length;
      const at = Date.now();
      process.kill(pids[index], 'SIGKILL');
      await waitFor(() => readRanLog(ranLog).length > ranBefore, 30_000, `the restart of ${name(index)}`);
      latencies.push(readRanLog(ranLog).at(-1).at - at);
      await sleep(1500);
    }

    const ranBefore = readRanLog(ranLog).length;
    const killed = pids.filter((_, index) => index % (ENTRIES / KILLED) === 0);
    const wallAt = Date.now();
    const at = performance.now();
    for (const pid of killed) process.kill(pid, 'SIGKILL');
    // first until the monitor has noticed (monit's summary lags up to a cycle), then until all are up again
    const noticedBy = performance.now() + 5000;
    while (performance.now() < noticedBy && (await monitor.allUp())) await sleep(50);
    let shownAt = null;
    while (shownAt === null) {
      if (performance.now() - at > 120_000) throw new Error(`${monitorName} did not report every process up within 120 s`);
      await sleep(50);
      if (await monitor.allUp()) shownAt = performance.now();
    }
    await waitFor(() => readRanLog(ranLog).length >= ranBefore + KILLED, 120_000, 'the mass restart');
    const ran = readRanLog(ranLog).slice(ranBefore);
    sendResult({
      idleCpu,
      restartP50: percentile(latencies, 50),
      restartMax: Math.max(...latencies),
      scriptsMs: Math.max(...ran.map((entry) => entry.at)) - wallAt,
      shownMs: shownAt - at,
    });
  } finally {
    await monitor?.stop();
    await killStarted();
    temp.remove();
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href && process.argv[2] === '--inside') {
  await inside(process.argv[3]);
  process.exit(0);
}
