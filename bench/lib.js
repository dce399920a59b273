// Shared helpers of the benchmarks: real sleeping processes, /proc readings, percentiles, the report.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const name = (index) => `pcheck-bench-${String(index).padStart(4, '0')}`;

/**
 * This run's mark, in the environment of everything it starts: the sleepers, pcheck, and the
 * sleepers pcheck's restart script starts (setsid: no process group or parent links them to us).
 */
const RUN_MARK = `PCHECK_BENCH_RUN=${randomUUID()}`;

/** The environment of a process the bench starts: this run's mark, and `vars`. */
export function benchEnv(vars = {}) {
  const [key, value] = RUN_MARK.split('=');
  return { ...process.env, [key]: value, ...vars };
}

/** Starts `count` sleeping processes whose argv[0] is name(i); returns their pids in order. */
export async function startSleepers(count, offset = 0) {
  const pids = [];
  for (let index = 0; index < count; index += 1) {
    const child = spawn('bash', ['-c', 'exec -a "$0" sleep 100000', name(index + offset)], { detached: true, stdio: 'ignore', env: benchEnv() });
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

/** Live (not zombie) processes carrying this run's mark, but this one. */
function startedPids() {
  const pids = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'latin1');
      if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) continue;
      if (readFileSync(`/proc/${entry}/environ`, 'latin1').split('\0').includes(RUN_MARK)) pids.push(Number(entry));
    } catch {
      // gone, or not ours to read
    }
  }
  return pids;
}

/**
 * SIGKILLs every process this run started (found by its mark, never by name: another bench's or the
 * machine's processes are not touched), and returns once none is left alive: the next scenario
 * starts sleepers of the same names, which its pcheck must not confuse with these.
 */
export async function killStarted() {
  for (let round = 0; round < 100; round += 1) {
    const pids = startedPids();
    if (pids.length === 0) return;
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }
    await sleep(20);
  }
  throw new Error(`processes this bench started are still alive after SIGKILL: ${startedPids().join(' ')}`);
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

/**
 * The restart script every benchmark pfile uses: starts the named sleeper again. With `ranLog`, it
 * then appends `<pname> <epoch seconds.micro>` to that file: when each script ran (readRanLog).
 */
export function writeRestartScript(dir, ranLog = null) {
  const path = join(dir, 'restart.sh');
  const start = 'setsid bash -c \'exec -a "$0" sleep 100000\' "$PS_PNAME" >/dev/null 2>&1 </dev/null &\n';
  const text = ranLog === null ? `#!/bin/sh\n${start}` : `#!/bin/bash\n${start}echo "$PS_PNAME $EPOCHREALTIME" >> '${ranLog}'\n`;
  writeFileSync(path, text, { mode: 0o755 });
  return path;
}

/** The lines of a restart script's ran log: name and wall-clock ms of each run. */
export function readRanLog(path) {
  let text = '';
  try {
    text = readFileSync(path, 'latin1');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      const [pname, seconds] = line.split(' ');
      return { pname, at: Number(seconds) * 1000 };
    });
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

/**
 * `count` sleepers and, in a temp dir, a pfile watching them (`head`: its global lines; `options`:
 * what follows each entry's restart script) and pcheck's environment (`vars` added), with its run
 * and log directories in that dir and no syslog.
 */
export async function watchedWorkload(count, { head = '', options = '', vars = {} } = {}) {
  const temp = tempDir();
  const pids = await startSleepers(count);
  const script = writeRestartScript(temp.dir);
  const pfile = join(temp.dir, 'pfile');
  const tail = options === '' ? '' : ` ${options}`;
  writeFileSync(pfile, `${head}${pids.map((_, index) => `${name(index)} ${script}${tail}`).join('\n')}\n`);
  const env = benchEnv({ PCHECK_RUN_DIR: join(temp.dir, 'run'), PCHECK_LOG_DIR: join(temp.dir, 'log'), PCHECK_SYSLOG_SOCKET: join(temp.dir, 'none'), ...vars });
  return { temp, pids, pfile, env };
}

