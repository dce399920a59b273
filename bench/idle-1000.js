// Issue 12: at 1000 entries and default settings the idle daemon should cost what its checks cost.
// The real pcheck -F over 1000 sleeping processes, idle: the whole process's CPU over 30 s (from
// /proc/<pid>/stat) against the CPU its liveness ticks account for (PCHECK_DEBUG_TICKS=1: the daemon
// adds up process.cpuUsage() around each tick and answers the totals to `ping`), and its RSS against
// an idle node process's.
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { request } from '../dist/cli/client.js';
import { startPcheck, waitFor } from './daemon.js';
import { benchEnv, cpuMs, killStarted, report, rssMb, sleep, watchedWorkload } from './lib.js';

const ENTRIES = 1000;
const WINDOW_MS = Number(process.env.BENCH_IDLE_WINDOW_MS ?? 30_000);

/** The daemon's tick totals (ping's tick_account), read over its control socket. */
async function tickAccount(pfile, runDir) {
  const response = await request(pfile, { cmd: 'ping' }, runDir);
  if (!response.ok || response.data.tick_account === undefined) throw new Error(`ping gave no tick_account: ${JSON.stringify(response)}`);
  return response.data.tick_account;
}

export async function run() {
  console.log(`idle-1000: pcheck -F with ${ENTRIES} entries (default settings), CPU over ${WINDOW_MS / 1000} s`);
  const { temp, pfile, env } = await watchedWorkload(ENTRIES, { vars: { PCHECK_DEBUG_TICKS: '1' } });
  const runDir = join(temp.dir, 'run');
  const pcheck = startPcheck(pfile, env);
  // the floors: an idle node process (its timers and GC only), as issue 12 measured it
  const idle = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1e6)'], { stdio: 'ignore', env: benchEnv() });
  try {
    await waitFor(() => pcheck.lines.filter((line) => line.endsWith(') Up')).length >= ENTRIES, 60_000, `${ENTRIES} Up lines`);
    // past the first usage samples and full check, whose first runs open descriptors
    await sleep(12_000);
    const ticksBefore = await tickAccount(pfile, runDir);
    const before = cpuMs(pcheck.child.pid);
    const idleBefore = cpuMs(idle.pid);
    await sleep(WINDOW_MS);
    const whole = cpuMs(pcheck.child.pid) - before;
    const idleCpu = cpuMs(idle.pid) - idleBefore;
    const ticksAfter = await tickAccount(pfile, runDir);
    const tickCpu = (ticksAfter.cpu_us - ticksBefore.cpu_us) / 1000;
    const tickWall = (ticksAfter.wall_us - ticksBefore.wall_us) / 1000;
    const ticks = ticksAfter.ticks - ticksBefore.ticks;
    const percent = (ms) => (ms / WINDOW_MS) * 100;
    report('idle-1000', 'whole-daemon idle CPU, % of a core', percent(whole), '%');
    report('idle-1000', 'liveness ticks CPU, % of a core', percent(tickCpu), '%');
    console.log(`  (${ticks} ticks, ${(tickCpu / ticks).toFixed(3)} ms CPU and ${(tickWall / ticks).toFixed(3)} ms wall each; an idle node process: ${percent(idleCpu).toFixed(3)} %)`);
    report('idle-1000', 'whole-daemon CPU / tick CPU', whole / tickCpu, 'x', 1.3);
    const rss = rssMb(pcheck.child.pid);
    const floor = rssMb(idle.pid);
    report('idle-1000', 'pcheck RSS, MB', rss, 'MB', 50, floor);
  } finally {
    spawnSync(process.execPath, ['bin/padmin.js', '-f', pfile, '-c', 'shutdown'], { env });
    pcheck.child.kill('SIGKILL');
    idle.kill('SIGKILL');
    await killStarted();
    temp.remove();
  }
}
