// Alerts never delay monitoring: kill -> restarted (`Up`) latency of 100 watched processes, first with
// no AlertFile (the floor), then with every event alerted by mail to a server that accepts the
// connection and never answers (a hung MTA). Prints the hung run's latencies as ratios of the floor.
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { startPcheck, waitFor } from './daemon.js';
import { benchEnv, killStarted, name, percentile, report, sleep, startSleepers, tempDir, writeRestartScript } from './lib.js';

const ENTRIES = 100;
const KILLS = 20;

/** A TCP server that accepts every connection and never says a word: an SMTP server that hangs. */
function blackHole() {
  const sockets = new Set();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        port: server.address().port,
        stop: () => {
          for (const socket of sockets) socket.destroy();
          server.close();
        },
      }),
    ),
  );
}

/** kill -> Up latencies (ms) of KILLS deaths, one at a time, under a pfile with `head` first. */
async function restartLatencies(label, head) {
  const temp = tempDir();
  const pids = await startSleepers(ENTRIES);
  const script = writeRestartScript(temp.dir);
  const pfile = join(temp.dir, 'pfile');
  writeFileSync(pfile, `${head(temp.dir)}${pids.map((_, index) => `${name(index)} ${script} 1000 86400 continue start_wait=10`).join('\n')}\n`);
  const env = benchEnv({
    PCHECK_RUN_DIR: join(temp.dir, 'run'),
    PCHECK_LOG_DIR: join(temp.dir, 'log'),
    PCHECK_SPOOL_DIR: join(temp.dir, 'spool'),
    PCHECK_SYSLOG_SOCKET: join(temp.dir, 'none'),
  });
  const ups = [];
  const pcheck = startPcheck(pfile, env, (line, at) => {
    const match = /\('(pcheck-bench-\d+)' ,pid=\d+\) Up$/.exec(line);
    if (match) ups.push({ name: match[1], at });
  });
  try {
    await waitFor(() => ups.length >= ENTRIES, 60_000, `${ENTRIES} Up lines (${label})`);
    await sleep(1000);
    const latencies = [];
    for (let kill = 0; kill < KILLS; kill += 1) {
      const index = kill * Math.floor(ENTRIES / KILLS);
      const sent = performance.now();
      const seen = ups.length;
      process.kill(pids[index], 'SIGKILL');
      await waitFor(() => ups.slice(seen).some((up) => up.name === name(index)), 10_000, `the restart of ${name(index)} (${label})`);
      latencies.push(ups.slice(seen).find((up) => up.name === name(index)).at - sent);
      await sleep(200);
    }
    return latencies;
  } finally {
    pcheck.child.kill('SIGKILL');
    await killStarted();
    temp.remove();
  }
}

export async function run() {
  console.log(`alerts: kill -> Up of ${ENTRIES} entries, ${KILLS} kills, without alerts and with a hung mail server`);
  const floor = await restartLatencies('no alerts', () => '');
  const hole = await blackHole();
  try {
    const hung = await restartLatencies('hung MTA', (dir) => {
      const alerts = join(dir, 'alerts');
      writeFileSync(alerts, `mail ops {\n    host 127.0.0.1\n    port ${hole.port}\n    tls none\n    from p@x.test\n    to ops@x.test\n    timeout 30\n}\nfallback ops\nfallback_severity info\ncoalesce 0\n`);
      return `AlertFile ${alerts}\n`;
    });
    for (const p of [50, 90]) {
      const base = percentile(floor, p);
      report('alerts', `kill -> Up p${p}, no alerts (floor), ms`, base, 'ms');
      report('alerts', `kill -> Up p${p}, every event mailed to a hung MTA, ms`, percentile(hung, p), 'ms', null, base);
    }
  } finally {
    hole.stop();
  }
}
