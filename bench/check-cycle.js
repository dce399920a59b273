// CPU per full check cycle and per liveness tick over 1000 entries, against a bare loop reading
// /proc/<pid>/stat of the same pids (the floor). In process: the Supervisor with the daemon's real OS deps.
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { Supervisor } from '../dist/daemon/supervisor.js';
import { DEFAULTS } from '../dist/pfile/types.js';
import { readStat, StatHandle } from '../dist/system/proc.js';
import { ProcessScanner } from '../dist/system/scan.js';
import { killStarted, name, report, startSleepers } from './lib.js';

const ENTRIES = 1000;
const ROUNDS = 50;

function cpu(step) {
  const before = process.cpuUsage();
  for (let round = 0; round < ROUNDS; round += 1) step();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000 / ROUNDS;
}

export async function run() {
  console.log(`check-cycle: ${ENTRIES} entries over ${ENTRIES} sleeping processes, ${ROUNDS} rounds each`);
  const pids = await startSleepers(ENTRIES);
  try {
    const entries = pids.map((_, index) => ({
      pentId: index + 1, line: index + 1, pname: name(index), restartScript: '/bin/true', retryCount: 3, grace: 86400,
      retryOverAction: 'continue', args: null, user: null, uid: null, pidfile: null, scriptTimeout: 300, startWait: 30,
      tlsVerify: false, tlsCa: null, stall: [],
    }));
    const config = { file: '/bench/pfile', monitorInterval: 10, livenessInterval: DEFAULTS.livenessInterval, dumpFileName: null, logFile: 'none', entries };
    const scanner = new ProcessScanner(() => performance.now());
    const log = { emit: () => undefined, close: async () => undefined, reopen: () => undefined };
    const supervisor = new Supervisor(config, {
      now: () => performance.now(), wallNow: () => Date.now(), scan: () => scanner.scan(),
      watch: (pid, startTime) => StatHandle.open(pid, startTime), statOf: (pid) => readStat(pid), readPidfile: () => null,
      runScript: async () => ({ outcome: 'ok', status: 'exit=0', endedBy: null, output: '', truncated: false }),
      probe: async () => ({ ok: true, detail: '' }), kill: () => null, readCa: () => '',
      after: () => () => undefined, log: () => log, onFatalRetryOver: () => undefined, onRetryOver: () => undefined,
    });
    supervisor.fullCheck();
    const found = supervisor.views().filter((view) => view.proc_sts === 'AVAIL').length;
    if (found !== ENTRIES) throw new Error(`only ${found} of ${ENTRIES} entries found their process`);

    const floor = cpu(() => {
      for (const pid of pids) readFileSync(`/proc/${pid}/stat`, 'latin1');
    });
    const cycle = cpu(() => supervisor.fullCheck());
    const tick = cpu(() => supervisor.livenessTick());
    report('check-cycle', 'full check cycle, CPU ms (1000 entries)', cycle, 'ms', 2 * floor, floor);
    report('check-cycle', 'liveness tick, CPU ms (1000 entries)', tick, 'ms', null, floor);
    report('check-cycle', 'liveness CPU at 0.2 s ticks, % of a core', (tick / 200) * 100, '%', null);
    supervisor.stop();
  } finally {
    await killStarted();
  }
}
