// Start-up of padmin: `padmin -c show pent` of 1000 entries from the single executable (build/padmin,
// built by `npm run package` if stale) against `node bin/padmin.js`, and the `node -e 0` floor (Node's
// own start). Each to a file and through a pipe; every answer is checked whole (1000 entries) first.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ensureBuilt, SEA_PADMIN } from '../scripts/package/built.mjs';
import { waitFor } from './daemon.js';
import { killStarted, percentile, report, watchedWorkload } from './lib.js';

const ENTRIES = 1000;
const ROUNDS = 10;

export async function run() {
  console.log(`startup: padmin -c show pent of ${ENTRIES} entries, single executable vs node bin/padmin.js vs node -e 0, ${ROUNDS} rounds each`);
  await ensureBuilt();
  const { temp, pfile, env } = await watchedWorkload(ENTRIES, { head: 'MonitorInterval 10\n', options: '3 86400 continue start_wait=10' });
  const daemon = spawn('bin/pcheck.js', ['-F', '-f', pfile], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let ups = 0;
  daemon.stderr.on('data', (chunk) => (ups += chunk.toString().split(') Up\n').length - 1));
  const showPent = ['-f', pfile, '-c', 'show', 'pent'];
  const commands = {
    'node -e 0': [process.execPath, ['-e', '0']],
    'node bin/padmin.js': [process.execPath, ['bin/padmin.js', ...showPent]],
    'single executable': [SEA_PADMIN, showPent],
  };
  const outFile = join(temp.dir, 'out');
  // wall ms of one run, its output checked: every entry, as many lines as the first whole answer
  let expected = null;
  const timed = (label, [file, args], through) => {
    const fd = through === 'file' ? openSync(outFile, 'w') : null;
    const started = performance.now();
    const done = spawnSync(file, args, { env, encoding: 'utf8', stdio: ['ignore', fd ?? 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 });
    const wall = performance.now() - started;
    if (fd !== null) closeSync(fd);
    if (done.status !== 0) throw new Error(`${label} failed (status ${done.status}): ${done.stderr}`);
    if (label !== 'node -e 0') {
      const output = fd === null ? done.stdout : readFileSync(outFile, 'utf8');
      const entries = output.split('\n').filter((line) => line.startsWith('pent_id ')).length;
      if (entries !== ENTRIES) throw new Error(`${label} through a ${through}: ${entries} entries in its answer, expected ${ENTRIES}`);
      const lines = output.split('\n').length;
      expected ??= lines;
      if (lines !== expected) throw new Error(`${label} through a ${through}: ${lines} lines, expected ${expected}`);
    }
    return wall;
  };
  try {
    await waitFor(() => ups >= ENTRIES, 60_000, `${ENTRIES} Up lines`);
    for (const through of ['file', 'pipe']) {
      const walls = Object.fromEntries(Object.keys(commands).map((label) => [label, []]));
      // interleaved, so a burst of load on the machine falls on all three alike; one warm-up round
      for (let round = 0; round <= ROUNDS; round += 1) {
        for (const [label, command] of Object.entries(commands)) {
          const wall = timed(label, command, through);
          if (round > 0) walls[label].push(wall);
        }
      }
      const floor = percentile(walls['node -e 0'], 50);
      const viaNode = percentile(walls['node bin/padmin.js'], 50);
      const viaSea = percentile(walls['single executable'], 50);
      report('startup', `node -e 0 (floor, beside > ${through}), median ms`, floor, 'ms');
      report('startup', `node bin/padmin.js show pent > ${through}, median ms`, viaNode, 'ms', null, floor);
      report('startup', `single executable show pent > ${through}, median ms`, viaSea, 'ms', null, floor);
      console.log(`  single executable / node bin/padmin.js through a ${through}: ${(viaSea / viaNode).toFixed(2)}x`);
    }
  } finally {
    spawnSync(process.execPath, ['bin/padmin.js', '-f', pfile, '-c', 'shutdown'], { env });
    daemon.kill('SIGKILL');
    await killStarted();
    temp.remove();
  }
}
