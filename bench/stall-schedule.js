// 1000 entries, each with a _bi_webserv block probing its own port every 10 s on a local server:
// how far each probe lands from its schedule (drift p99), the daemon's CPU meanwhile, and how late
// its liveness ticks run (PCHECK_TICK_TRACE) while it probes and across `padmin -c reload`s of
// the 1000 entries (issue 12: no probe batch or reload may hold a tick up more than 50 ms).
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { startPcheck, waitFor } from './daemon.js';
import { benchEnv, cpuMs, killStarted, name, percentile, report, sleep, startSleepers, tempDir, writeRestartScript } from './lib.js';

const ENTRIES = 1000;
const INTERVAL_S = 10;
const WINDOW_MS = 32_000;
const TICK_GOAL_MS = 50;
const RELOADS = 5;

function listen() {
  const arrivals = [];
  const server = createServer((socket) => {
    arrivals.push(performance.now());
    socket.on('error', () => undefined);
    socket.once('data', () => socket.end('HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n'));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, arrivals, port: server.address().port })));
}

export async function run() {
  console.log(`stall-schedule: ${ENTRIES} entries with _bi_webserv every ${INTERVAL_S} s, ${WINDOW_MS / 1000} s window`);
  const temp = tempDir();
  const servers = [];
  for (let index = 0; index < ENTRIES; index += 1) servers.push(await listen());
  await startSleepers(ENTRIES);
  const script = writeRestartScript(temp.dir);
  const pfile = join(temp.dir, 'pfile');
  const block = (port) =>
    `_bi_webserv {\n PS_EXEC DLL:/opt/HA/PSWE/lib/lib_bi_webserv.so:DIRECT:-:${INTERVAL_S}:0:3:600:${port}:127.0.0.1\n}`;
  writeFileSync(pfile, `MonitorInterval 10\n${servers.map((server, index) => `${name(index)} ${script}\n${block(server.port)}`).join('\n')}\n`);
  const env = benchEnv({ PCHECK_RUN_DIR: join(temp.dir, 'run'), PCHECK_LOG_DIR: join(temp.dir, 'log'), PCHECK_SYSLOG_SOCKET: join(temp.dir, 'none'), PCHECK_TICK_TRACE: '1' });
  const ticks = [];
  const pcheck = startPcheck(pfile, env, (line, at) => {
    if (line.startsWith('tick late=')) ticks.push({ at, late: Number(line.slice('tick late='.length)) });
  });
  try {
    await waitFor(() => pcheck.lines.filter((line) => line.endsWith(') Up')).length >= ENTRIES, 60_000, `${ENTRIES} Up lines`);
    await sleep(2000);
    for (const server of servers) server.arrivals.length = 0;
    const before = cpuMs(pcheck.child.pid);
    const windowAt = performance.now();
    await sleep(WINDOW_MS);
    const cpu = ((cpuMs(pcheck.child.pid) - before) / WINDOW_MS) * 100;
    const probing = ticks.filter((tick) => tick.at >= windowAt).map((tick) => tick.late);
    // reloads of the same 1000 entries (each kept, with its stall block), 5 of them at odd times, so
    // that some liveness tick falls due while one runs: the ticks from the first until 3 s after the last
    const reloadAt = performance.now();
    const reloadMs = [];
    let reloaded = 0;
    for (let round = 0; round < RELOADS && reloaded === 0; round += 1) {
      const at = performance.now();
      const reload = spawn(process.execPath, ['bin/padmin.js', '-f', pfile, '-c', 'reload'], { env, stdio: 'ignore' });
      reloaded = await new Promise((resolve) => reload.on('exit', (status) => resolve(status)));
      reloadMs.push(performance.now() - at);
      await sleep(317);
    }
    await sleep(3000);
    const reloading = ticks.filter((tick) => tick.at >= reloadAt).map((tick) => tick.late);
    const drifts = [];
    for (const server of servers) {
      for (let index = 1; index < server.arrivals.length; index += 1) {
        drifts.push(Math.abs(server.arrivals[index] - server.arrivals[index - 1] - INTERVAL_S * 1000));
      }
    }
    const probes = servers.reduce((sum, server) => sum + server.arrivals.length, 0);
    report('stall-schedule', `probes received in ${WINDOW_MS / 1000} s (expected ~${Math.round((ENTRIES * WINDOW_MS) / (INTERVAL_S * 1000))})`, probes, '', null);
    report('stall-schedule', 'probe schedule drift p50, ms', percentile(drifts, 50), 'ms', null);
    report('stall-schedule', 'probe schedule drift p99, ms', percentile(drifts, 99), 'ms', null);
    report('stall-schedule', 'daemon CPU while probing, % of a core', cpu, '%', null);
    report('stall-schedule', 'worst liveness-tick lateness while probing, ms', Math.max(...probing), 'ms', TICK_GOAL_MS);
    if (reloaded !== 0) throw new Error(`padmin -c reload exited with ${reloaded}`);
    report('stall-schedule', `padmin -c reload of the 1000 entries, wall ms (median of ${RELOADS})`, percentile(reloadMs, 50), 'ms', null);
    report('stall-schedule', `worst liveness-tick lateness across ${RELOADS} reloads, ms`, Math.max(...reloading), 'ms', TICK_GOAL_MS);
  } finally {
    pcheck.child.kill('SIGKILL');
    for (const server of servers) server.server.close();
    await killStarted();
    temp.remove();
  }
}
