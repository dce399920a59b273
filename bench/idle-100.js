// SPEC 3.1: death noticed within 0.5 s "at a cost that stays under 1 % of one core for 100 entries".
// The real pcheck -F with 100 entries over 100 sleeping processes, idle: CPU % over 30 s, the whole
// process (liveness ticks, full checks, timers, GC), against the same node runtime doing nothing.
import { spawn, spawnSync } from 'node:child_process';
import { startPcheck, waitFor } from './daemon.js';
import { benchEnv, cpuMs, killStarted, report, sleep, watchedWorkload } from './lib.js';

const ENTRIES = 100;
const WINDOW_MS = 30_000;

export async function run() {
  console.log(`idle-100: pcheck -F with ${ENTRIES} entries, CPU over ${WINDOW_MS / 1000} s`);
  const { temp, pfile, env } = await watchedWorkload(ENTRIES);
  const pcheck = startPcheck(pfile, env);
  // the floor: an idle node process with the same flags (its timers and GC only)
  const idle = spawn(process.execPath, ['--max-semi-space-size=1', '-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore', env: benchEnv() });
  try {
    await waitFor(() => pcheck.lines.filter((line) => line.endsWith(') Up')).length >= ENTRIES, 30_000, `${ENTRIES} Up lines`);
    await sleep(2000);
    const before = cpuMs(pcheck.child.pid);
    const idleBefore = cpuMs(idle.pid);
    await sleep(WINDOW_MS);
    const percent = ((cpuMs(pcheck.child.pid) - before) / WINDOW_MS) * 100;
    const floor = ((cpuMs(idle.pid) - idleBefore) / WINDOW_MS) * 100;
    report('idle-100', 'idle CPU, % of a core (100 entries)', percent, '%', 1);
    // for scale, not as a ratio: clock ticks are 10 ms, so over 30 s it reads 0 or 0.033 %
    console.log(`  (an idle node process with no work: ${floor.toFixed(3)} %)`);
  } finally {
    spawnSync(process.execPath, ['bin/padmin.js', '-f', pfile, '-c', 'shutdown'], { env });
    pcheck.child.kill('SIGKILL');
    idle.kill('SIGKILL');
    await killStarted();
    temp.remove();
  }
}
