// Alert destinations that fail: a mail server that black-holes never holds up a restart; a wrong
// password is named by test alert; events spooled while a webhook is down survive kill -9 of pcheck
// and are delivered once by the next pcheck.
import { chmodSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually, padmin, Pcheck, sandbox, startDetached, type Sandbox } from '../e2e/harness.js';
import * as exim from '../e2e/servers/exim.js';
import * as receiver from '../e2e/servers/https-receiver.js';

let box: Sandbox;
const stops: (() => Promise<void>)[] = [];
const running: Pcheck[] = [];

afterEach(async () => {
  for (const pcheck of running.splice(0)) await pcheck.stop();
  for (const stop of stops.splice(0)) await stop();
  box.cleanup();
});

/** A watched fixture whose restart script starts it again, under a pfile naming `alerts`. */
function watched(alerts: string): { pfile: string; first: number } {
  const fixture = box.fixture('appd');
  const script = box.script('restart.sh', `setsid ${fixture} 1000 >/dev/null 2>&1 &`);
  const pfile = box.file('pfile', `AlertFile ${alerts}\n${fixture} ${script} 100 - - start_wait=10\n`);
  return { pfile, first: startDetached(fixture) };
}

function start(pfile: string): Pcheck {
  const pcheck = new Pcheck(pfile, box.env);
  running.push(pcheck);
  return pcheck;
}

/** Kills the watched process three times, each time waiting for the restarted one's Up. */
async function killThrice(pcheck: Pcheck, first: number): Promise<void> {
  let pid = first;
  for (let round = 2; round <= 4; round += 1) {
    process.kill(pid, 'SIGKILL');
    await pcheck.waitForCount(/\) Up$/, round, 10_000);
    pid = Number(/pid=(\d+)\) Up$/.exec(pcheck.lines.filter((line) => line.endsWith(' Up')).at(-1) ?? '')?.[1]);
  }
}

describe('alert destinations that fail', () => {
  it('a mail server that accepts and never answers: every death is still restarted at once while its mail waits', async () => {
    box = sandbox();
    const hole = await exim.blackHole();
    stops.push(() => hole.stop());
    const alerts = box.file(
      'alerts',
      `mail ops {\n    host 127.0.0.1\n    port ${hole.port}\n    tls none\n    from p@x.test\n    to ops@x.test\n    timeout 30\n}\nfallback ops\ncoalesce 0\n`,
    );
    const { pfile, first } = watched(alerts);
    const pcheck = start(pfile);
    await pcheck.waitFor(new RegExp(`pid=${first}\\) Up$`));
    await killThrice(pcheck, first);
    // the mail of the first death is still waiting for the black hole; monitoring did not wait for it
    const shown = await padmin(pfile, box.env, '-c', 'show', 'alert', '--json');
    expect(JSON.parse(shown.stdout)[0]).toMatchObject({ destination: 'ops', last_success: null });
    expect(JSON.parse(shown.stdout)[0].queued).toBeGreaterThanOrEqual(3);
  });

  it('a wrong SMTP password: test alert says which destination failed and why, without the password', async () => {
    if (process.getuid?.() !== 0) throw new Error('the exim4 harness needs root: run as root (.ci/run does)');
    box = sandbox();
    const mta = await exim.start(box);
    stops.push(() => mta.stop());
    const wrong = box.file('wrong.secret', 'not-the-password\n');
    const alerts = box.file(
      'alerts',
      `mail ops {\n    host ${mta.host}\n    port ${mta.port}\n    ca ${mta.caFile}\n    from p@${exim.MAIL_DOMAIN}\n    to ops@${exim.MAIL_DOMAIN}\n    auth_user ${mta.user}\n    auth_password_file ${wrong}\n}\nfallback ops\n`,
    );
    chmodSync(wrong, 0o600);
    const { pfile } = watched(alerts);
    const pcheck = start(pfile);
    await pcheck.waitFor(/\) Up$/);
    const tested = await padmin(pfile, box.env, '-c', 'test', 'alert');
    expect(tested.status).toBe(1);
    expect(tested.stdout).toMatch(/^ops \(mail\): FAILED: SMTP AUTH failed: 535 .*\(user pcheck\)$/m);
    expect(tested.stdout + tested.stderr).not.toContain('not-the-password');
  });

  it('events spooled while the webhook is down survive kill -9 of pcheck and are delivered once by the next pcheck', async () => {
    box = sandbox();
    const hook = await receiver.start(box, { tls: false });
    stops.push(() => hook.stop());
    hook.answer({ status: 503, body: 'down for maintenance' });
    const alerts = box.file('alerts', `webhook ops {\n    url ${hook.url}/hook\n}\nfallback ops\ncoalesce 0\n`);
    const { pfile, first } = watched(alerts);
    let pcheck = start(pfile);
    await pcheck.waitFor(new RegExp(`pid=${first}\\) Up$`));
    await killThrice(pcheck, first);
    await pcheck.waitFor(/Alert destination 'ops' \(webhook\) failed: .*HTTP 503 .*down for maintenance/, 10_000);
    expect(pcheck.lines.filter((line) => line.includes("Alert destination 'ops'"))).toHaveLength(1);
    await pcheck.stop(); // kill -9

    // the receiver is back; a new pcheck on the same pfile picks the spool up
    hook.answer({ status: 200 });
    const refused = hook.requests.length;
    pcheck = start(pfile);
    const delivered = await eventually(() => {
      const events = hook.requests
        .slice(refused)
        .filter((request) => request.method === 'POST')
        .flatMap((request) => (request.json as { events: { uid: string; id: string; pid: number | null }[] }).events);
      return events.filter((event) => /^PC10[23]$/.test(event.id)).length >= 3 ? events : undefined;
    }, 20_000, 'the spooled events delivered');
    const deaths = delivered.filter((event) => /^PC10[23]$/.test(event.id));
    expect(new Set(deaths.map((event) => event.uid)).size).toBe(deaths.length);
    expect(deaths).toHaveLength(3);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const again = hook.requests.slice(refused).flatMap((request) => (request.json as { events: { uid: string }[] }).events);
    expect(again.filter((event) => deaths.some((death) => death.uid === event.uid))).toHaveLength(3);
  });
});
