// The real pcheck with 1000 entries over 1000 sleeping processes: death-detection latency over 50
// kills, `padmin -c show pent` wall time, RSS and idle CPU.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { cpuMs, killStarted, percentile, report, rssMb, sleep, watchedWorkload } from './lib.js';

const ENTRIES = 1000;
const KILLS = 50;

/**
 * Starts pcheck -F on `pfile`; `lines` collects its stderr, `onLine` sees each line as it arrives.
 * `nodeFlags` (e.g. --cpu-prof) go to node beside the flags of bin/pcheck.js's shebang.
 */
export function startPcheck(pfile, env, onLine = () => undefined, nodeFlags = []) {
  // run as an operator does: the executable itself, so its shebang's node flags apply
  const shebang = readFileSync('bin/pcheck.js', 'utf8').split('\n')[0].split(' ').slice(3);
  const [command, ...args] =
    nodeFlags.length === 0 ? ['bin/pcheck.js', '-F', '-f', pfile] : [process.execPath, ...shebang, ...nodeFlags, 'bin/pcheck.js', '-F', '-f', pfile];
  const child = spawn(command, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
  const lines = [];
  let partial = '';
  child.stderr.on('data', (chunk) => {
    const at = performance.now();
    partial += chunk.toString();
    const parts = partial.split('\n');
    partial = parts.pop();
    for (const line of parts) {
      lines.push(line);
      onLine(line, at);
    }
  });
  child.on('exit', (status) => {
    if (status !== null && status !== 0) console.error(`pcheck exited with status ${status}:\n${lines.slice(-20).join('\n')}`);
  });
  return { child, lines };
}

export async function waitFor(predicate, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

export async function run() {
  console.log(`daemon: pcheck -F with ${ENTRIES} entries, ${KILLS} kills`);
  const { temp, pids, pfile, env } = await watchedWorkload(ENTRIES, { head: 'MonitorInterval 10\n', options: '3 86400 continue start_wait=10' });
  const noticed = new Map();
  const pcheck = startPcheck(pfile, env, (line, at) => {
    const match = /\] (Down|Zombie)$/.test(line) && /pid=(\d+)\]/.exec(line);
    if (match) noticed.set(Number(match[1]), at);
  });
  try {
    await waitFor(() => pcheck.lines.filter((line) => line.endsWith(') Up')).length >= ENTRIES, 60_000, `${ENTRIES} Up lines`);
    await sleep(1000);

    const latencies = [];
    for (let kill = 0; kill < KILLS; kill += 1) {
      const pid = pids[kill * Math.floor(ENTRIES / KILLS)];
      const sent = performance.now();
      process.kill(pid, 'SIGKILL');
      await waitFor(() => noticed.has(pid), 5000, `pcheck to notice pid ${pid}`);
      latencies.push(noticed.get(pid) - sent);
      await sleep(300);
    }
    report('daemon', 'death detection p50, ms', percentile(latencies, 50), 'ms', 500);
    report('daemon', 'death detection p99, ms', percentile(latencies, 99), 'ms', 500);

    await waitFor(() => pcheck.lines.filter((line) => line.endsWith(') Up')).length >= ENTRIES + KILLS, 60_000, 'the restarts');
    const walls = [];
    for (let round = 0; round < 5; round += 1) {
      const started = performance.now();
      const shown = spawnSync(process.execPath, ['bin/padmin.js', '-f', pfile, '-c', 'show', 'pent'], { env, encoding: 'utf8' });
      walls.push(performance.now() - started);
      if (shown.status !== 0) throw new Error(`padmin failed: ${shown.stderr}`);
    }
    report('daemon', 'padmin show pent wall time (median of 5), ms', percentile(walls, 50), 'ms', 300);

    const before = cpuMs(pcheck.child.pid);
    await sleep(10_000);
    const idle = ((cpuMs(pcheck.child.pid) - before) / 10_000) * 100;
    report('daemon', 'idle CPU over 10 s, % of a core', idle, '%', null);
    report('daemon', 'pcheck RSS, MB', rssMb(pcheck.child.pid), 'MB', 100);
  } finally {
    spawnSync(process.execPath, ['bin/padmin.js', '-f', pfile, '-c', 'shutdown'], { env });
    pcheck.child.kill('SIGKILL');
    await killStarted();
    temp.remove();
  }
}
