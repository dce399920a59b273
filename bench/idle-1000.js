// Issue 12: at 1000 entries and default settings the idle daemon should cost what its checks cost.
// The real pcheck -F over 1000 sleeping processes, idle: the whole process's CPU over 30 s (from
// /proc/<pid>/stat) against the CPU its liveness ticks account for (PCHECK_DEBUG_TICKS=1: the daemon
// adds up process.cpuUsage() around each tick and answers the totals to `ping`), and its RSS against
// an idle node process's and a pcheck's with one entry (what pcheck costs before its entries), each
// the median of readings every 5 s over the window.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from '../dist/cli/client.js';
import { startPcheck, waitFor } from './daemon.js';
import { benchEnv, cpuMs, killStarted, name, percentile, report, rssMb, sleep, watchedWorkload } from './lib.js';

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
  // the floors: an idle node process (its timers and GC only), as issue 12 measured it, and a pcheck
  // watching only the first of the sleepers (its own pfile and run directory)
  const idle = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1e6)'], { stdio: 'ignore', env: benchEnv() });
  const single = join(temp.dir, 'pfile-1');
  // the pfile's settings, and its first entry
  writeFileSync(single, `${readFileSync(pfile, 'utf8').split('\n').filter((line, index, lines) => index <= lines.findIndex((entry) => entry.startsWith(name(0)))).join('\n')}\n`);
  const singleEnv = { ...env, PCHECK_RUN_DIR: join(temp.dir, 'run-1') };
  const one = startPcheck(single, singleEnv);
  try {
    await waitFor(() => pcheck.lines.filter((line) => line.endsWith(') Up')).length >= ENTRIES, 60_000, `${ENTRIES} Up lines`);
    await waitFor(() => one.lines.some((line) => line.endsWith(') Up')), 60_000, 'the one-entry pcheck Up');
    // past the first usage samples and full check, whose first runs open descriptors
    await sleep(12_000);
    const ticksBefore = await tickAccount(pfile, runDir);
    const before = cpuMs(pcheck.child.pid);
    const idleBefore = cpuMs(idle.pid);
    const rss = { pcheck: [], one: [], idle: [] };
    for (let waited = 0; waited < WINDOW_MS; waited += 5000) {
      await sleep(Math.min(5000, WINDOW_MS - waited));
      rss.pcheck.push(rssMb(pcheck.child.pid));
      rss.one.push(rssMb(one.child.pid));
      rss.idle.push(rssMb(idle.pid));
    }
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
    const [mb, oneMb, floor] = [percentile(rss.pcheck, 50), percentile(rss.one, 50), percentile(rss.idle, 50)];
    report('idle-1000', 'pcheck RSS, MB', mb, 'MB', 50, floor);
    report('idle-1000', 'pcheck RSS with 1 entry, MB', oneMb, 'MB', null, floor);
    report('idle-1000', 'RSS per entry, KB', ((mb - oneMb) * 1024) / (ENTRIES - 1), 'KB');
  } finally {
    spawnSync(process.execPath, ['bin/padmin.js', '-f', pfile, '-c', 'shutdown'], { env });
    spawnSync(process.execPath, ['bin/padmin.js', '-f', single, '-c', 'shutdown'], { env: singleEnv });
    pcheck.child.kill('SIGKILL');
    one.child.kill('SIGKILL');
    idle.kill('SIGKILL');
    await killStarted();
    temp.remove();
  }
}
