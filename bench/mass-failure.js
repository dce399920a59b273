// Issue 12's mass failure: the real pcheck -F with 1000 entries over 1000 sleeping processes, 100 of
// them killed at once. Reports the time from the kill until every restart script ran, until pcheck's
// log says every one is Up again, until `padmin -c show pent` reports all 1000 AVAIL, and the worst
// lateness of a liveness tick meanwhile (PCHECK_TICK_TRACE). Everything runs in a PID namespace of its
// own (bench/ns.js): the sleepers, pcheck, its restart scripts and padmin see nothing else.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { startPcheck, waitFor } from './daemon.js';
import { benchEnv, cpuMs, killStarted, name, readRanLog, report, sleep, startSleepers, tempDir, writeRestartScript } from './lib.js';
import { insideNamespace, runInNamespace, sendResult } from './ns.js';

export const ENTRIES = 1000;
export const KILLED = 100;
const TICK_GOAL_MS = 50;
const SHOWN_GOAL_MS = 1000;

/** Runs the scenario in a namespace of its own and reports its figures; `label` prefixes them. */
export async function run() {
  console.log(`mass-failure: pcheck -F with ${ENTRIES} entries, ${KILLED} of their processes killed at once (own PID namespace)`);
  const result = await runInNamespace(new URL(import.meta.url), ['--inside'], benchEnv()).done;
  reportMassFailure('mass-failure', result);
}

export function reportMassFailure(scenario, result) {
  report(scenario, `${KILLED} killed: every restart script ran, ms`, result.scriptsMs, 'ms');
  report(scenario, `${KILLED} killed: all Up in the log, ms`, result.upMs, 'ms');
  report(scenario, `${KILLED} killed: show pent all AVAIL, ms`, result.shownMs, 'ms');
  report(scenario, 'show pent all AVAIL after the last script, ms', result.shownMs - result.scriptsMs, 'ms', SHOWN_GOAL_MS);
  report(scenario, 'worst liveness-tick lateness in the burst, ms', result.worstTickMs, 'ms', TICK_GOAL_MS);
  report(scenario, 'pcheck CPU during the burst, ms', result.cpuMs, 'ms');
}

/** `padmin -c show pent --json`: whether every entry is AVAIL; rejects on a failed or cut answer. */
export function allAvail(pfile, env) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/padmin.js', '-f', pfile, '-c', 'show', 'pent', '--json'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out = [];
    const err = [];
    child.stdout.on('data', (chunk) => out.push(chunk));
    child.stderr.on('data', (chunk) => err.push(chunk));
    child.on('error', reject);
    child.on('close', (status) => {
      if (status !== 0) return reject(new Error(`padmin show pent exited with ${status}: ${Buffer.concat(err).toString()}`));
      // JSON.parse fails on a truncated answer: never counted as one
      const views = JSON.parse(Buffer.concat(out).toString());
      resolve(views.length === ENTRIES && views.every((view) => view.proc_sts === 'AVAIL'));
    });
  });
}

/** Inside the namespace: the workload, the kill, the measurements; the result goes out by sendResult. */
async function inside() {
  if (!insideNamespace()) throw new Error('mass-failure --inside runs only under bench/ns.js');
  const temp = tempDir();
  const ranLog = join(temp.dir, 'ran.log');
  const pids = await startSleepers(ENTRIES);
  const script = writeRestartScript(temp.dir, ranLog);
  const pfile = join(temp.dir, 'pfile');
  writeFileSync(pfile, `MonitorInterval 10\n${pids.map((_, index) => `${name(index)} ${script} 3 86400 continue start_wait=10`).join('\n')}\n`);
  const env = {
    ...process.env,
    PCHECK_RUN_DIR: join(temp.dir, 'run'),
    PCHECK_LOG_DIR: join(temp.dir, 'log'),
    PCHECK_SYSLOG_SOCKET: join(temp.dir, 'none'),
    PCHECK_TICK_TRACE: '1',
  };
  const ups = [];
  const ticks = [];
  // PCHECK_BENCH_PROFILE=<dir>: pcheck writes a CPU profile there when it stops (node --cpu-prof)
  const profile = process.env.PCHECK_BENCH_PROFILE;
  const pcheck = startPcheck(
    pfile,
    env,
    (line, at) => {
      if (line.startsWith('tick late=')) ticks.push({ at, late: Number(line.slice('tick late='.length)) });
      else if (line.endsWith(') Up')) ups.push(at);
    },
    profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}`] : [],
  );
  try {
    await waitFor(() => ups.length >= ENTRIES, 60_000, `${ENTRIES} Up lines`);
    await sleep(2000);
    const killed = pids.filter((_, index) => index % (ENTRIES / KILLED) === 0);
    const cpuBefore = cpuMs(pcheck.child.pid);
    const wallAt = Date.now();
    const at = performance.now();
    for (const pid of killed) process.kill(pid, 'SIGKILL');
    // padmin is a Node process of its own (about a quarter of a second of CPU on this machine):
    // asked only once every script ran, so that it does not compete with the restarts it measures
    await waitFor(() => readRanLog(ranLog).length >= KILLED, 60_000, 'every restart script');
    let shownAt = null;
    while (shownAt === null) {
      if (performance.now() - at > 60_000) throw new Error('show pent did not report every entry AVAIL within 60 s');
      if (await allAvail(pfile, env)) shownAt = performance.now();
    }
    await waitFor(() => ups.length >= ENTRIES + KILLED && readRanLog(ranLog).length >= KILLED, 60_000, 'the restarts');
    const burstCpu = cpuMs(pcheck.child.pid) - cpuBefore;
    await sleep(500);
    const ran = readRanLog(ranLog);
    const burstTicks = ticks.filter((tick) => tick.at >= at);
    sendResult({
      scriptsMs: Math.max(...ran.map((entry) => entry.at)) - wallAt,
      upMs: Math.max(...ups.slice(ENTRIES)) - at,
      shownMs: shownAt - at,
      worstTickMs: Math.max(...burstTicks.map((tick) => tick.late)),
      ticks: burstTicks.length,
      cpuMs: burstCpu,
    });
  } finally {
    spawn(process.execPath, ['bin/padmin.js', '-f', pfile, '-c', 'shutdown'], { env, stdio: 'ignore' });
    await waitFor(() => pcheck.child.exitCode !== null || pcheck.child.signalCode !== null, 10_000, 'pcheck to stop').catch(() => pcheck.child.kill('SIGKILL'));
    await killStarted();
    temp.remove();
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href && process.argv[2] === '--inside') {
  await inside();
  process.exit(0);
}
