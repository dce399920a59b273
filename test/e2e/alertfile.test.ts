// AlertFile with the real binaries: pcheck -t checks the alert file, a start or a reload with a
// broken one is refused as a whole, a good one is taken.
import { readFileSync, writeFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { padmin, PCHECK, Pcheck, run, sandbox, startDetached, watchedFixture, type Sandbox } from './harness.js';

let box: Sandbox;
let pcheck: Pcheck | null = null;

beforeEach(() => {
  box = sandbox();
});

afterEach(async () => {
  await pcheck?.stop();
  pcheck = null;
  box.cleanup();
});

const GOOD = (phone: string) => `command phone {\n    path ${phone}\n}\nrule down {\n    match Down\n    send phone\n}\n`;
// line 5: a keyword in the wrong case; line 6: a destination that does not exist
const BROKEN = (phone: string) => `command phone {\n    path ${phone}\n}\nrule down {\n    Match Down\n    send pager\n}\n`;

const check = (pfile: string) => run(process.execPath, [PCHECK, '-t', '-f', pfile], box.env);

describe('pcheck -t', () => {
  it('prints the alert file\'s errors as alertfile:line and exits 2; a good alert file passes', async () => {
    const phone = box.script('phone', 'cat >/dev/null');
    const alerts = box.file('alerts', BROKEN(phone));
    const { pfile } = watchedFixture(box, `AlertFile ${alerts}\n`);
    const refused = await check(pfile);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toContain(`${alerts}:5: error: unknown key "Match" in rule; keys are case-sensitive: write match\n`);
    expect(refused.stderr).toContain(`${alerts}:6: error: rule down: send: no destination named "pager"; destinations are phone\n`);

    writeFileSync(alerts, GOOD(phone));
    const accepted = await check(pfile);
    expect(accepted.stderr).toBe('');
    expect(accepted.status).toBe(0);
  });

  it('an AlertFile that does not exist is an error naming it, on the pfile\'s line', async () => {
    const { pfile } = watchedFixture(box, `AlertFile ${box.dir}/missing-alerts\n`);
    const result = await check(pfile);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(`${pfile}:1: error: AlertFile ${box.dir}/missing-alerts: no such file; create it, or remove the AlertFile line`);
  });
});

describe('start and reload', () => {
  it('pcheck does not start with a broken alert file', async () => {
    const phone = box.script('phone', 'cat >/dev/null');
    const alerts = box.file('alerts', BROKEN(phone));
    const { pfile } = watchedFixture(box, `AlertFile ${alerts}\n`);
    pcheck = new Pcheck(pfile, box.env);
    expect(await pcheck.exited).toBe(2);
    expect(pcheck.lines.join('\n')).toContain(`${alerts}:6: error: rule down: send: no destination named "pager"`);
  });

  it('a reload with a broken alert file is refused as a whole, the running config kept; a good one is taken', async () => {
    const phone = box.script('phone', 'cat >/dev/null');
    const alerts = box.file('alerts', GOOD(phone));
    const { pfile } = watchedFixture(box, `AlertFile ${alerts}\n`);
    pcheck = new Pcheck(pfile, box.env);
    await pcheck.waitFor(/\) Up$/);

    // a second entry in the pfile, and a broken alert file: nothing of either is taken
    const second = box.fixture('second');
    startDetached(second);
    const secondScript = box.script('second.sh', `setsid ${second} 1000 >/dev/null 2>&1 &`);
    writeFileSync(pfile, `${readFileSync(pfile, 'utf8')}${second} ${secondScript}\n`);
    writeFileSync(alerts, BROKEN(phone));
    const refused = await padmin(pfile, box.env, '-c', 'reload');
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain(`${alerts}:5: error: unknown key "Match" in rule`);
    expect(refused.stderr).toContain(`${alerts}:6: error: rule down: send: no destination named "pager"`);
    await pcheck.waitFor(/pfile reload refused, running config kept/);
    const kept = await padmin(pfile, box.env, '-c', 'show', 'pent');
    expect(kept.stdout.trimEnd().split('\n\n')).toHaveLength(1);

    writeFileSync(alerts, GOOD(phone));
    const applied = await padmin(pfile, box.env, '-c', 'reload');
    expect(applied.stderr).not.toContain('error:');
    expect(applied.status).toBe(0);
    expect(applied.stdout).toContain('kept 1, added 1, removed 0');
  });
});
