// Issue 12: `padmin -c show pent` of 1000 entries against the `node -e 0` floor, measured in the same
// run (rounds alternate), with padmin's output written to a file and read through a pipe. Every
// answer is checked whole (its line count) before its time counts: a truncated answer is never timed.
import { spawnSync } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { startPcheck, waitFor } from './daemon.js';
import { killStarted, name, percentile, report, watchedWorkload } from './lib.js';

const ENTRIES = 1000;
const ROUNDS = Number(process.env.BENCH_PADMIN_ROUNDS ?? 40);

/** Wall ms of one run of node with `args`; stdout to `out` (a path) or a pipe. */
function timed(args, env, out) {
  const fd = out === null ? null : openSync(out, 'w');
  const started = performance.now();
  const result = spawnSync(process.execPath, args, { env, stdio: ['ignore', fd ?? 'pipe', 'pipe'], encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const ms = performance.now() - started;
  if (fd !== null) closeSync(fd);
  if (result.status !== 0) throw new Error(`${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  return { ms, stdout: fd === null ? result.stdout : readFileSync(out, 'utf8') };
}

/** The answer is whole: one block per entry (pname first, monitor_sts last), the last naming the last entry. */
function checkWhole(stdout, how) {
  const lines = stdout.split('\n').filter((line) => line !== '');
  const pnames = lines.filter((line) => line.startsWith('pname '));
  if (pnames.length !== ENTRIES || !pnames.at(-1).endsWith(name(ENTRIES - 1)) || !lines.at(-1).startsWith('monitor_sts ')) {
    throw new Error(`show pent ${how} gave ${pnames.length} entries in ${lines.length} lines (want ${ENTRIES}, the last ${name(ENTRIES - 1)}, whole)`);
  }
}

export async function run() {
  console.log(`padmin: show pent of ${ENTRIES} entries, ${ROUNDS} rounds against node -e 0`);
  const { temp, pfile, env } = await watchedWorkload(ENTRIES);
  const pcheck = startPcheck(pfile, env);
  const out = join(temp.dir, 'out');
  const show = ['bin/padmin.js', '-f', pfile, '-c', 'show', 'pent'];
  try {
    await waitFor(() => pcheck.lines.filter((line) => line.endsWith(') Up')).length >= ENTRIES, 60_000, `${ENTRIES} Up lines`);
    const floor = [];
    const toFile = [];
    const toPipe = [];
    // one round of each first, untimed: the page cache holds node and padmin's files from then on
    checkWhole(timed(show, env, out).stdout, 'to a file');
    timed(['-e', '0'], env, null);
    for (let round = 0; round < ROUNDS; round += 1) {
      floor.push(timed(['-e', '0'], env, null).ms);
      const file = timed(show, env, out);
      checkWhole(file.stdout, 'to a file');
      toFile.push(file.ms);
      const pipe = timed(show, env, null);
      checkWhole(pipe.stdout, 'through a pipe');
      toPipe.push(pipe.ms);
    }
    const floorMs = percentile(floor, 50);
    report('padmin', 'show pent to a file (median), ms', percentile(toFile, 50), 'ms', null, floorMs);
    report('padmin', 'show pent through a pipe (median), ms', percentile(toPipe, 50), 'ms', null, floorMs);
    report('padmin', 'show pent / node -e 0 (file)', percentile(toFile, 50) / floorMs, 'x', 1.3);
    report('padmin', 'show pent / node -e 0 (pipe)', percentile(toPipe, 50) / floorMs, 'x', 1.3);
  } finally {
    spawnSync(process.execPath, ['bin/padmin.js', '-f', pfile, '-c', 'shutdown'], { env });
    pcheck.child.kill('SIGKILL');
    await killStarted();
    temp.remove();
  }
}
