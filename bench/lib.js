// Shared helpers of the benchmarks: real sleeping processes, /proc readings, percentiles, the report.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const name = (index) => `pcheck-bench-${String(index).padStart(4, '0')}`;

/** Starts `count` sleeping processes whose argv[0] is name(i); returns their pids in order. */
export async function startSleepers(count, offset = 0) {
  const pids = [];
  for (let index = 0; index < count; index += 1) {
    const child = spawn('bash', ['-c', 'exec -a "$0" sleep 100000', name(index + offset)], { detached: true, stdio: 'ignore' });
    child.unref();
    pids.push(child.pid);
  }
  // wait until every one has exec'd sleep
  for (const pid of pids) {
    for (let tries = 0; tries < 200; tries += 1) {
      try {
        if (readFileSync(`/proc/${pid}/stat`, 'latin1').includes('(sleep)')) break;
      } catch {
        break;
      }
      await sleep(5);
    }
  }
  return pids;
}

/**
 * SIGKILLs every process whose argv[0] starts with pcheck-bench-, and returns once pkill has:
 * the next scenario starts sleepers of the same names, which a late pkill would take.
 */
export function killSleepers() {
  spawnSync('pkill', ['-KILL', '-f', '^pcheck-bench-'], { stdio: 'ignore' });
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** utime + stime of a process, in ms. */
export function cpuMs(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'latin1').split(') ')[1].split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1000) / 100;
}

export function rssMb(pid) {
  const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'latin1'));
  return match ? Number(match[1]) / 1024 : NaN;
}

export function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

export function tempDir() {
  const dir = mkdtempSync(join(tmpdir(), 'pcheck-bench-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The restart script every benchmark pfile uses: starts the named sleeper again. */
export function writeRestartScript(dir) {
  const path = join(dir, 'restart.sh');
  writeFileSync(path, '#!/bin/sh\nsetsid bash -c \'exec -a "$0" sleep 100000\' "$PS_PNAME" >/dev/null 2>&1 </dev/null &\n', { mode: 0o755 });
  return path;
}

const rows = [];

/** Records one figure: value, unit, target (or null), and whether lower is better. */
export function report(scenario, figure, value, unit, target = null, floor = null) {
  rows.push({ scenario, figure, value, unit, target, floor });
  const ratio = floor === null ? '' : `  (${(value / floor).toFixed(2)}x the floor ${floor.toFixed(3)} ${unit})`;
  const verdict = target === null ? '' : value <= target ? `  ok (target <= ${target} ${unit})` : `  MISSED (target <= ${target} ${unit})`;
  console.log(`  ${figure}: ${value.toFixed(3)} ${unit}${ratio}${verdict}`);
}

export function summary() {
  console.log('\nsummary');
  for (const row of rows) {
    const verdict = row.target === null ? '' : row.value <= row.target ? 'ok' : 'MISSED';
    console.log(`  ${row.scenario.padEnd(14)} ${row.figure.padEnd(44)} ${row.value.toFixed(3).padStart(10)} ${row.unit.padEnd(4)} ${verdict}`);
  }
}
