// The Alertmanager destination: what it POSTs (pure), then against Debian's real Alertmanager, whose
// amtool shows the alert firing and whose webhook notification shows its resolution.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  alertLabels,
  alertmanagerSender,
  alertName,
  alertsToPost,
  ENTRY_HOLD_SECONDS,
  NOTE_HOLD_SECONDS,
  type PostableAlert,
} from '../../src/alerts/alertmanager.js';
import type { AlertmanagerDestination } from '../../src/alerts/types.js';
import { freePort, sandbox, type Sandbox } from '../e2e/harness.js';
import { start, type AlertmanagerServer } from '../e2e/servers/alertmanager.js';
import { alertEvent, down, retryOver, tryRestart, up } from './destination-events.js';

const at = (iso: string): { time: string } => ({ time: iso });
const plus = (iso: string, seconds: number): string => new Date(Date.parse(iso) + seconds * 1000).toISOString();

describe('alerts to POST', () => {
  it('names alerts after the catalogue key, a test after itself', () => {
    expect(alertName(down())).toBe('PcheckDown');
    expect(alertName(retryOver())).toBe('PcheckRetryOver');
    expect(alertName(down({ test: true }))).toBe('PcheckTest');
  });

  it('labels say which pcheck, entry and event; the pid (which changes) is an annotation', () => {
    expect(alertLabels(down())).toEqual({
      alertname: 'PcheckDown',
      host: 'web01',
      pfile: '/etc/pcheck/web.pfile',
      pname: 'httpd',
      pent_id: '1',
      event_id: 'PC102',
      severity: 'warning',
    });
    const [alert] = alertsToPost([down()], []);
    expect(alert?.annotations).toMatchObject({ summary: "Process ['httpd',pid=4242] Down", pid: '4242' });
    expect(JSON.parse(alert?.annotations.fields ?? '')).toEqual({ name: 'httpd', pid: 4242, reason: 'gone' });
  });

  it("an entry's failure fires for a week unless resolved; an event of no entry for an hour", () => {
    const t = '2026-01-05T10:00:00.000Z';
    const [failure, note] = alertsToPost([down(at(t)), alertEvent({ ...at(t), pname: null, pentId: null, key: 'pcheckStopped' })], []);
    expect(failure).toMatchObject({ startsAt: t, endsAt: plus(t, ENTRY_HOLD_SECONDS) });
    expect(note).toMatchObject({ startsAt: t, endsAt: plus(t, NOTE_HOLD_SECONDS) });
    expect(note?.labels).not.toHaveProperty('pent_id');
  });

  it('the Up resolves every open alert of its entry, in the batch and held by Alertmanager, and no other', () => {
    const t0 = '2026-01-05T10:00:00.000Z';
    const t1 = '2026-01-05T10:00:05.000Z';
    const t2 = '2026-01-05T10:00:09.000Z';
    const held: PostableAlert[] = [
      { labels: alertLabels(retryOver()), annotations: { summary: 'retry over' }, startsAt: t0, endsAt: plus(t0, ENTRY_HOLD_SECONDS) },
      { labels: alertLabels(down({ pname: 'db', pentId: 2 })), annotations: {}, startsAt: t0, endsAt: plus(t0, ENTRY_HOLD_SECONDS) },
    ];
    const alerts = alertsToPost([down(at(t1)), tryRestart(at(t1)), up(at(t2))], held);
    const byName = new Map(alerts.map((alert) => [alert.labels.alertname, alert]));
    expect(alerts).toHaveLength(3);
    expect(byName.get('PcheckDown')).toMatchObject({ startsAt: t1, endsAt: t2 });
    expect(byName.get('PcheckTryRestart')).toMatchObject({ startsAt: t1, endsAt: t2 });
    expect(byName.get('PcheckRetryOver')).toMatchObject({ startsAt: t0, endsAt: t2, annotations: { summary: 'retry over', resolved_by: "('httpd' ,pid=4343) Up" } });
  });

  it('Down, Up, Down again: one alert, firing from the second Down', () => {
    const t = ['2026-01-05T10:00:00.000Z', '2026-01-05T10:00:01.000Z', '2026-01-05T10:00:02.000Z'] as const;
    const alerts = alertsToPost([down(at(t[0])), up(at(t[1])), down(at(t[2]))], []);
    expect(alerts).toEqual([expect.objectContaining({ startsAt: t[2], endsAt: plus(t[2], ENTRY_HOLD_SECONDS) })]);
  });

  it('an Up with nothing open sends nothing', () => {
    expect(alertsToPost([up()], [])).toEqual([]);
  });
});

describe('Alertmanager destination, against a real Alertmanager', () => {
  let box: Sandbox;
  let alertmanager: AlertmanagerServer;

  beforeAll(async () => {
    box = sandbox();
    alertmanager = await start(box);
  });

  afterAll(async () => {
    await alertmanager?.stop();
    box.cleanup();
  });

  const destination = (overrides: Partial<AlertmanagerDestination> = {}): AlertmanagerDestination => ({
    kind: 'alertmanager',
    name: 'am',
    line: 1,
    timeoutSeconds: 10,
    url: alertmanager.url,
    verify: true,
    ca: null,
    ...overrides,
  });

  it('a Down fires an alert amtool shows with its labels; the Up resolves it and Alertmanager notifies the resolution', async () => {
    const pfile = `${box.dir}/web.pfile`;
    await alertmanagerSender(destination())([down({ pfile }), retryOver({ pfile }), down({ pfile, pname: 'db', pentId: 2 })]);

    const firing = await alertmanager.query(`pfile=${pfile}`);
    expect(firing.map((alert) => alert.labels.alertname + ':' + alert.labels.pname).sort()).toEqual(['PcheckDown:db', 'PcheckDown:httpd', 'PcheckRetryOver:httpd']);
    const httpdDown = firing.find((alert) => alert.labels.alertname === 'PcheckDown' && alert.labels.pname === 'httpd');
    expect(httpdDown?.labels).toEqual({ alertname: 'PcheckDown', host: 'web01', pfile, pname: 'httpd', pent_id: '1', event_id: 'PC102', severity: 'warning' });
    expect(httpdDown?.status.state).toBe('active');
    expect(httpdDown?.annotations.summary).toBe("Process ['httpd',pid=4242] Down");
    await alertmanager.waitForNotification((n) => n.status === 'firing' && n.alerts.some((a) => a.labels.pfile === pfile && a.labels.alertname === 'PcheckRetryOver'));

    // a new sender, as after a pcheck restart: what is open is asked of Alertmanager
    const { resolved: resolvedBefore } = await alertmanager.received();
    await alertmanagerSender(destination())([up({ pfile })]);

    const after = await alertmanager.query(`pfile=${pfile}`);
    expect(after.map((alert) => alert.labels.alertname + ':' + alert.labels.pname)).toEqual(['PcheckDown:db']);
    expect((await alertmanager.received()).resolved - resolvedBefore).toBe(2);
    const resolution = await alertmanager.waitForNotification(
      (n) => n.status === 'resolved' && n.alerts.some((a) => a.labels.pfile === pfile && a.labels.alertname === 'PcheckDown'),
    );
    const [alert] = resolution.alerts;
    expect(alert?.status).toBe('resolved');
    expect(alert?.labels).toMatchObject({ pname: 'httpd', pent_id: '1' });
    expect(Date.parse(alert?.endsAt ?? '')).toBeLessThanOrEqual(Date.now());
    expect(alert?.annotations.resolved_by).toBe("('httpd' ,pid=4343) Up");
    await alertmanager.waitForNotification(
      (n) => n.status === 'resolved' && n.alerts.some((a) => a.labels.pfile === pfile && a.labels.alertname === 'PcheckRetryOver'),
    );
  });

  it('a failure and its Up in one message arrive resolved: held, never listed as firing', async () => {
    const pfile = `${box.dir}/flap.pfile`;
    const { resolved: before } = await alertmanager.received();
    await alertmanagerSender(destination())([down({ pfile }), tryRestart({ pfile }), up({ pfile })]);
    expect((await alertmanager.received()).resolved - before).toBe(2);
    expect(await alertmanager.query(`pfile=${pfile}`)).toEqual([]);
  });

  it('a base URL with a path prefix and a trailing slash posts to <prefix>/api/v2/alerts', async () => {
    const port = await freePort();
    await expect(alertmanagerSender(destination({ url: `http://127.0.0.1:${port}/am/` }))([down()])).rejects.toThrow(
      `POST http://127.0.0.1:${port}/am/api/v2/alerts: connection refused (ECONNREFUSED)`,
    );
  });

  it('the lookup of open alerts shares the timeout and names what failed', async () => {
    const port = await freePort();
    await expect(alertmanagerSender(destination({ url: `http://127.0.0.1:${port}` }))([up()])).rejects.toThrow(
      `GET http://127.0.0.1:${port}/api/v2/alerts: connection refused (ECONNREFUSED)`,
    );
  });
});
