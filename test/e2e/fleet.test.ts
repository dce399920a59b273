// The fleet view end to end, with the engines operators already run: a real Prometheus scrapes a real
// pcheck and evaluates the shipped alert rules (templates/prometheus); a forced retry over makes
// PcheckRetryOver fire in Prometheus and reach a real Alertmanager, where amtool shows it.
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually, freePort, Pcheck, ROOT, sandbox, startDetached, type Sandbox } from './harness.js';
import * as alertmanager from './servers/alertmanager.js';
import * as prometheus from './servers/prometheus.js';

let box: Sandbox;
const stops: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
  box.cleanup();
});

describe('fleet view', () => {
  it('a forced retry over: PcheckRetryOver fires in Prometheus from the shipped rules and is visible through amtool', async () => {
    box = sandbox();
    const am = await alertmanager.start(box);
    stops.push(() => am.stop());
    const port = await freePort();
    const fixture = box.fixture('appd');
    // retry_count 0 with continue: the first death is a retry over, and the entry stays UNAVAIL
    const pfile = box.file('pfile', `MetricsListen 127.0.0.1:${port}\n${fixture} ${box.script('restart.sh', 'exit 0')} 0 - continue\n`);
    const first = startDetached(fixture);
    const pcheck = new Pcheck(pfile, box.env);
    stops.push(() => pcheck.stop());
    await pcheck.waitFor(new RegExp(`pid=${first}\\) Up$`));
    const server = await prometheus.start(box, {
      targets: [`127.0.0.1:${port}`],
      ruleFiles: [join(ROOT, 'templates/prometheus/rules/pcheck.rules.yml')],
      alertmanager: `127.0.0.1:${am.port}`,
    });
    stops.push(() => server.stop());
    await eventually(async () => ((await server.query('pcheck_entry_up == 1')).length === 1 ? true : undefined), 20_000, 'pcheck scraped and up');

    process.kill(first, 'SIGKILL');
    await pcheck.waitFor(/Retry over \(.*appd'\) retries=0 action=continue/);
    const firing = await eventually(
      async () => {
        const alerts = await server.query('ALERTS{alertname="PcheckRetryOver", alertstate="firing"}');
        return alerts.length > 0 ? alerts : undefined;
      },
      30_000,
      'PcheckRetryOver firing in Prometheus',
    );
    expect(firing[0]?.metric).toMatchObject({ pname: fixture, pent_id: '1', severity: 'page' });
    const held = await eventually(
      async () => {
        const alerts = await am.query('alertname=PcheckRetryOver');
        return alerts.length > 0 ? alerts : undefined;
      },
      30_000,
      'PcheckRetryOver in Alertmanager',
    );
    expect(held[0]?.labels).toMatchObject({ alertname: 'PcheckRetryOver', pname: fixture, severity: 'page' });
    expect(held[0]?.annotations.summary).toBe(`${fixture} is in retry over on 127.0.0.1:${port}`);
  });
});
