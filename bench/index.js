// npm run bench: every scenario in order, then a summary. Figures, never assertions.
// The whole run goes in a PID namespace of its own (`unshare --pid --fork --mount-proc`): the sleepers,
// the pchecks and the peers it starts can neither see nor signal anything else on the machine, and
// whatever is left when it ends is killed with the namespace. Without unshare (or its privilege) it
// says so and runs as before, its processes found by the run's mark (lib.js).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { run as alerts } from './alerts.js';
import { run as checkCycle } from './check-cycle.js';
import { run as daemon } from './daemon.js';
import { run as idle100 } from './idle-100.js';
import { run as idle1000 } from './idle-1000.js';
import { run as metrics } from './metrics.js';
import { run as massFailure } from './mass-failure.js';
import { run as peers } from './peers.js';
import { run as padmin } from './padmin.js';
import { summary } from './lib.js';
import { run as stallSchedule } from './stall-schedule.js';
import { run as startup } from './startup.js';
import { run as usage } from './usage.js';

if (process.env.PCHECK_BENCH_NAMESPACE === undefined) {
  const unshare = ['--pid', '--fork', '--mount-proc', '--kill-child'];
  const probe = spawnSync('unshare', [...unshare, 'true'], { stdio: ['ignore', 'ignore', 'pipe'] });
  if (probe.status === 0) {
    const self = fileURLToPath(import.meta.url);
    const inside = spawnSync('unshare', [...unshare, '--', 'bash', '-c', '"$@"; exit $?', 'init', process.execPath, self, ...process.argv.slice(2)], {
      stdio: 'inherit',
      env: { ...process.env, PCHECK_BENCH_NAMESPACE: '1' },
    });
    process.exit(inside.status ?? 1);
  }
  console.log(`bench: no PID namespace of its own (${probe.error?.message ?? String(probe.stderr).trim()}): running among the host's processes`);
  process.env.PCHECK_BENCH_NAMESPACE = 'host';
}

const only = process.argv[2];
const scenarios = { 'check-cycle': checkCycle, daemon, 'idle-100': idle100, 'idle-1000': idle1000, 'stall-schedule': stallSchedule, alerts, usage, metrics, startup, padmin };
scenarios['mass-failure'] = massFailure;
// --peers: pcheck beside monit on one workload (bench/peers.js), alone
if (only === '--peers') scenarios['--peers'] = peers;
for (const [scenarioName, scenario] of Object.entries(scenarios)) {
  if (only !== undefined && only !== scenarioName) continue;
  await scenario();
}
summary();
process.exit(0);
