// The whole alert path with real servers: pcheck watches three processes; killing each sends its
// events by keyword rules to a real exim4 (STARTTLS + AUTH, ISO-2022-JP and UTF-8), a real HTTPS
// webhook receiver (the fallback), a real Alertmanager (fired, then resolved by the Up) and a
// command (the "phone"); each destination gets what its rules say, and only that.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, padmin, Pcheck, sandbox, startDetached, type Sandbox } from './harness.js';
import * as alertmanager from './servers/alertmanager.js';
import * as exim from './servers/exim.js';
import * as receiver from './servers/https-receiver.js';

let box: Sandbox;
let mta: exim.Exim;
let hook: receiver.Receiver;
let am: alertmanager.AlertmanagerServer;
let pcheck: Pcheck;
let pfile: string;
const pids: Record<string, number> = {};
const address = (team: string) => `${team}@${exim.MAIL_DOMAIN}`;

beforeAll(async () => {
  if (process.getuid?.() !== 0) throw new Error('the exim4 harness needs root: run as root (.ci/run does)');
  box = sandbox();
  [mta, hook, am] = await Promise.all([exim.start(box), receiver.start(box, { tls: true }), alertmanager.start(box)]);
  const phone = box.script('phone.sh', `cat > "${box.dir}/phone-$$.json"\nenv | grep '^PS_' > "${box.dir}/phone-$$.env"`);
  const mail = (name: string, charset: string) => `mail ${name} {
    host      ${mta.host}
    port      ${mta.port}
    tls       starttls
    ca        ${mta.caFile}
    from      pcheck@${exim.MAIL_DOMAIN}
    to        ${address(name)}
    auth_user ${mta.user}
    auth_password_file ${mta.passwordFile}
    charset   ${charset}
}
`;
  const alerts = box.file(
    'alerts',
    `${mail('app-team', 'iso-2022-jp')}${mail('db-team', 'utf-8')}command phone {
    path      ${phone}
    timeout   10
}
webhook taro {
    url       ${hook.url}/hook
    ca        ${hook.caFile}
}
alertmanager am {
    url       ${am.url}
}
rule app {
    match     "appd'"
    send      app-team am
}
rule db {
    match     "dbd'"
    send      db-team
}
rule server-down {
    match     PC109 "Retry over" action=continue
    send      app-team db-team phone
}
fallback taro
coalesce 1
`,
  );
  // A death reads Down, or Zombie where the reaper is slow: the rules name the entry, and take every
  // warning of it. appd comes back 2 s after its death, so Alertmanager sees it fire before the Up resolves it;
  // otherd may not be restarted at all: its death is a retry over at once
  const entries = ['appd', 'dbd', 'otherd'].map((name) => {
    const fixture = box.fixture(name);
    const delay = name === 'appd' ? 'sleep 2\n' : '';
    const script = box.script(`restart-${name}.sh`, `${delay}setsid ${fixture} 1000 >/dev/null 2>&1 &`);
    pids[name] = startDetached(fixture);
    return name === 'otherd' ? `${fixture} ${script} 0 - continue` : `${fixture} ${script} - - - start_wait=10`;
  });
  pfile = box.file('pfile', `AlertFile ${alerts}\n${entries.join('\n')}\n`);
  pcheck = new Pcheck(pfile, box.env);
  await pcheck.waitForCount(/\) Up$/, 3, 20_000);
});

afterAll(async () => {
  await pcheck?.stop();
  await Promise.all([mta?.stop(), hook?.stop(), am?.stop()]);
  box?.cleanup();
});

const texts = (raws: Buffer[]) => raws.map((raw) => exim.parseMail(raw));

describe('alerts end to end', () => {
  it('padmin -c test alert reaches every destination; -d limits it to one', async () => {
    const all = await padmin(pfile, box.env, '-c', 'test', 'alert');
    expect(all.stdout).not.toContain('FAILED');
    expect(all.status).toBe(0);
    for (const name of ['app-team (mail)', 'db-team (mail)', 'phone (command)', 'taro (webhook)', 'am (alertmanager)']) {
      expect(all.stdout).toMatch(new RegExp(`^${name.replace(/[()]/g, '\\$&')}: delivered in \\d+\\.\\d s$`, 'm'));
    }
    const one = await padmin(pfile, box.env, '-c', 'test', 'alert', '-d', 'taro');
    expect(one.stdout.trim().split('\n')).toHaveLength(1);
    expect((await padmin(pfile, box.env, '-c', 'test', 'alert', '-d', 'nobody')).stderr).toContain('no alert destination named nobody');
    // the test mails arrived; the webhook got two test posts, then the fallback's: padmin's
    // rejected request (PC008, a warning) matched no rule
    await mta.waitForMail(address('app-team'), 1);
    const posted = await hook.waitForRequests(3);
    expect(posted.map((request) => (request.json as { events: { id: string }[] }).events.map((event) => event.id))).toEqual([['TEST'], ['TEST'], ['PC008']]);
  });

  it('appd dies: app-team (ISO-2022-JP mail) and Alertmanager are told, then the Up resolves it; nobody else hears of it', async () => {
    const before = { app: mta.mailbox(address('app-team')).length, db: mta.mailbox(address('db-team')).length, hook: hook.requests.length };
    process.kill(pids.appd ?? -1, 'SIGKILL');
    const firing = await eventually(async () => {
      const held = await am.query(`pname=~".*appd"`);
      return held.length > 0 ? held : undefined;
    }, 15_000, 'the Down firing in Alertmanager');
    expect(firing[0]?.labels).toMatchObject({ alertname: expect.stringMatching(/^Pcheck(Down|Zombie)$/), severity: 'warning', pent_id: '1' });

    const mails = texts(await mta.waitForMail(address('app-team'), before.app + 1, 15_000)).slice(before.app);
    expect(mails[0]?.charset).toBe('iso-2022-jp');
    expect(mails[0]?.text).toContain(`Process ['${join(box.dir, 'appd')}',pid=${pids.appd}] `);
    expect(mails[0]?.header('x-authenticated-as')).toBe(mta.user);

    // the Up resolves: Alertmanager lets it go, app-team gets a resolution
    await pcheck.waitFor(/appd' ,pid=\d+\) Up$/, 15_000, pcheck.lines.findIndex((line) => line.includes('appd') && / (Down|Zombie)$/.test(line)));
    await eventually(async () => ((await am.query(`pname=~".*appd"`)).length === 0 ? true : undefined), 15_000, 'the alert resolved');
    await am.waitForNotification((notification) => notification.status === 'resolved', 15_000);
    const resolved = texts(await mta.waitForMail(address('app-team'), before.app + 2, 15_000)).slice(before.app);
    expect(resolved.map((mail) => mail.subject).join('\n')).toContain('[RESOLVED]');

    expect(mta.mailbox(address('db-team'))).toHaveLength(before.db);
    expect(hook.requests.slice(before.hook).map((request) => request.body)).toEqual([]);
  });

  it('dbd dies: only db-team is told, in UTF-8', async () => {
    const before = { app: mta.mailbox(address('app-team')).length, db: mta.mailbox(address('db-team')).length, hook: hook.requests.length };
    process.kill(pids.dbd ?? -1, 'SIGKILL');
    const mails = texts(await mta.waitForMail(address('db-team'), before.db + 1, 15_000)).slice(before.db);
    expect(mails[0]?.charset).toBe('utf-8');
    expect(mails[0]?.text).toContain(`Process ['${join(box.dir, 'dbd')}',pid=${pids.dbd}] `);
    await pcheck.waitFor(/dbd' ,pid=\d+\) Up$/, 15_000, pcheck.lines.findIndex((line) => line.includes('dbd') && / (Down|Zombie)$/.test(line)));
    // let a coalescing window pass: nothing else may arrive anywhere
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(mta.mailbox(address('app-team'))).toHaveLength(before.app);
    expect(hook.requests).toHaveLength(before.hook);
  });

  it('otherd dies and retries over: its Down, matched by no rule, goes to the fallback; the retry over to both teams and the phone', async () => {
    const before = { app: mta.mailbox(address('app-team')).length, db: mta.mailbox(address('db-team')).length, hook: hook.requests.length };
    process.kill(pids.otherd ?? -1, 'SIGKILL');
    const posted = await hook.waitForRequests(before.hook + 1, 15_000);
    const fallback = posted.slice(before.hook).flatMap((request) => (request.json as { events: { id: string; text: string }[] }).events);
    expect(fallback.map((event) => event.id)).toEqual([expect.stringMatching(/^PC10[23]$/)]);
    expect(fallback[0]?.text).toMatch(new RegExp(`${join(box.dir, 'otherd')}',pid=${pids.otherd}\\] (Down|Zombie)$`));

    for (const team of ['app-team', 'db-team']) {
      const mails = texts(await mta.waitForMail(address(team), (team === 'app-team' ? before.app : before.db) + 1, 15_000));
      expect(mails.at(-1)?.text).toMatch(/Retry over \('.*otherd'\) retries=0 action=continue/);
    }
    const envFile = await eventually(() => readdirSync(box.dir).find((name) => /^phone-\d+\.env$/.test(name) && readFileSync(join(box.dir, name), 'utf8').includes('PC109')), 15_000, 'the phone called');
    const env = readFileSync(join(box.dir, envFile), 'utf8');
    expect(env).toContain('PS_EVENT_ID=PC109');
    expect(env).toContain(`PS_PNAME=${join(box.dir, 'otherd')}`);
    const input = JSON.parse(readFileSync(join(box.dir, envFile.replace('.env', '.json')), 'utf8')) as { events: { id: string }[] };
    expect(input.events.map((event) => event.id)).toEqual(['PC109']);
  });

  it('padmin -c show alert: every destination, nothing queued, a last success each', async () => {
    const shown = await padmin(pfile, box.env, '-c', 'show', 'alert', '--json');
    expect(shown.status).toBe(0);
    const status = JSON.parse(shown.stdout) as { destination: string; queued: number; last_success: string | null; outage: boolean }[];
    expect(status.map((line) => line.destination).sort()).toEqual(['am', 'app-team', 'db-team', 'phone', 'taro']);
    for (const line of status) expect(line).toMatchObject({ queued: 0, outage: false, last_success: expect.any(String) });
    const text = await padmin(pfile, box.env, '-c', 'show', 'alert');
    expect(text.stdout).toMatch(/^destination {10}= taro \(webhook\)$/m);
  });
});
