// npm run bench: every scenario in order, then a summary. Figures, never assertions.
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
