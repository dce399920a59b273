// pcheck as an rc script or systemd starts it: detaching, one per pfile, kill -9 recovery, signals, -t.
import { chownSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { logFilePath } from '../../src/control/paths.js';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually, isAlive, padmin, PCHECK, Pcheck, run, sandbox, watchedFixture, type Sandbox } from './harness.js';

let box: Sandbox;
const daemons: number[] = [];

afterEach(() => {
  for (const pid of daemons.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  box.cleanup();
});

function setup() {
  box = sandbox();
  const logFile = `${box.dir}/pcheck.log`;
  return { ...watchedFixture(box, `LogFile ${logFile}\n`), logFile };
}

const pcheck = (...args: string[]) => run(process.execPath, [PCHECK, ...args], box.env);

describe('starting pcheck', () => {
  it('detaches, exits 0 only once monitoring runs, and answers padmin', async () => {
    const { pfile } = setup();
    const started = await pcheck('-f', pfile);
    expect(started.status).toBe(0);
    expect(started.stdout).toMatch(/monitoring .* \(pid \d+\)/);
    const pid = Number(/pid (\d+)/.exec(started.stdout)?.[1]);
    daemons.push(pid);
    expect(isAlive(pid)).toBe(true);
    const shown = await padmin(pfile, box.env, '-c', 'show', 'pent');
    expect(shown.stdout).toContain('proc_sts             = AVAIL');
    expect((await padmin(pfile, box.env, '-c', 'shutdown')).status).toBe(0);
    await eventually(() => (isAlive(pid) ? undefined : true));
  });

  it('a bad pfile: exit 2 with every error, nothing left running', async () => {
    box = sandbox();
    const pfile = box.file('pfile', 'MonitorInterval -1\n/usr/sbin/x relative/script\n');
    const result = await pcheck('-f', pfile);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(`${pfile}:1: error:`);
    expect(result.stderr).toContain(`${pfile}:2: error:`);
    expect((await padmin(pfile, box.env, '-c', 'show', 'pent')).status).toBe(3);
  });

  it('an exit entry that retries over at once: the start fails with status 3 and says why', async () => {
    box = sandbox();
    const fixture = box.fixture('never');
    const script = box.script('fail.sh', 'exit 1');
    const pfile = box.file('pfile', `${fixture} ${script} 0 - exit start_wait=1\n`);
    const result = await pcheck('-f', pfile);
    expect(result.status).toBe(3);
    expect(result.stderr).toMatch(new RegExp(`^pcheck: pcheck \\(pid \\d+\\) started, then stopped: retry over of '${fixture}' \\(exit\\) \\(status 3\\)$`, 'm'));
    expect((await padmin(pfile, box.env, '-c', 'show', 'pent')).status).toBe(3);
  });

  it("a run directory another user owns is refused, with what to do", async () => {
    const { pfile } = setup();
    const dir = box.env.PCHECK_RUN_DIR as string;
    mkdirSync(dir, { mode: 0o777 });
    chownSync(dir, 65534, 65534);
    const result = await pcheck('-F', '-f', pfile);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain(`run directory ${dir} belongs to uid 65534, not to pcheck's user (uid 0); remove it or set PCHECK_RUN_DIR`);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('pcheck -t checks without starting: 0 for a usable pfile, 2 with file:line errors', async () => {
    const { pfile } = setup();
    const ok = await pcheck('-t', '-f', pfile);
    expect(ok.status).toBe(0);
    expect(ok.stdout).toContain('ok, 1 entry');
    const bad = box.file('bad', 'Bogus 1\n');
    const result = await pcheck('-t', '-f', bad);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(new RegExp(`^${bad}:1: error: `));
  });

  it('a second pcheck on the same pfile is refused and names the first one', async () => {
    const { pfile } = setup();
    const first = new Pcheck(pfile, box.env);
    daemons.push(first.pid);
    await first.waitFor(/\) Up$/);
    const second = await pcheck('-F', '-f', pfile);
    expect(second.status).toBe(1);
    expect(second.stderr).toContain(`another pcheck (pid ${first.pid}) is already running`);
    const detached = await pcheck('-f', pfile);
    expect(detached.status).toBe(1);
    expect(detached.stderr).toContain(`pid ${first.pid}`);
    expect(first.child.exitCode).toBeNull();
  });

  it('after kill -9 a new pcheck starts at once over the stale socket', async () => {
    const { pfile } = setup();
    const first = new Pcheck(pfile, box.env);
    await first.waitFor(/\) Up$/);
    first.kill('SIGKILL');
    await first.exited;
    const second = new Pcheck(pfile, box.env);
    daemons.push(second.pid);
    await second.waitFor(/\) Up$/);
    expect((await padmin(pfile, box.env, '-c', 'show', 'pent')).status).toBe(0);
  });
});

describe('signals', () => {
  it('SIGHUP reloads, SIGTERM shuts down with status 0', async () => {
    const { pfile, fixture } = setup();
    const daemon = new Pcheck(pfile, box.env);
    daemons.push(daemon.pid);
    await daemon.waitFor(/\) Up$/);
    writeFileSync(pfile, `${readFileSync(pfile, 'utf8')}${fixture} ${box.dir}/restart.sh 1 - - start_wait=5\n`);
    daemon.kill('SIGHUP');
    await daemon.waitFor(/pfile reloaded\. .* entries=2 kept=1 added=1 removed=0/);
    daemon.kill('SIGTERM');
    expect(await daemon.exited).toBe(0);
    expect(daemon.lines.join('\n')).toMatch(/pcheck stop\. .* reason=SIGTERM status=0/);
  });

  it('without LogFile the structured log has its default place; padmin logs there too; a reload reopens it', async () => {
    box = sandbox();
    const { pfile } = watchedFixture(box);
    const daemon = new Pcheck(pfile, box.env);
    daemons.push(daemon.pid);
    await daemon.waitFor(/\) Up$/);
    const logFile = logFilePath('default', pfile, box.env) as string;
    expect(logFile.startsWith(`${box.env.PCHECK_LOG_DIR}/`)).toBe(true);
    const records = () =>
      existsSync(logFile) ? readFileSync(logFile, 'utf8').trim().split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>) : [];
    // stderr gets each line just before the structured log does
    await eventually(() => (records().some((record) => record.msgId === 'PC101') ? true : undefined));
    expect(records().map((record) => record.msgId)).toEqual(expect.arrayContaining(['PC001', 'PC101']));
    expect((await padmin(pfile, box.env, '-c', 'show', 'pent')).status).toBe(0);
    expect(records().find((record) => record.msgId === 'PA001')).toMatchObject({ tag: 'padmin', command: 'show pent', pfile });
    // logrotate moves the file away; a reload starts a new one
    renameSync(logFile, `${logFile}.1`);
    expect((await padmin(pfile, box.env, '-c', 'reload')).status).toBe(0);
    await eventually(() => existsSync(logFile) || undefined);
    await eventually(() => records().some((record) => record.msgId === 'PC003') || undefined);
  });

  it('SIGUSR1 without DumpFileName says why no dump came, and pcheck goes on', async () => {
    const { pfile } = setup();
    const daemon = new Pcheck(pfile, box.env);
    daemons.push(daemon.pid);
    await daemon.waitFor(/\) Up$/);
    daemon.kill('SIGUSR1');
    await daemon.waitFor(new RegExp(`State dump not written: DumpFileName is not set\\. pfile='${pfile}'$`));
    expect((await padmin(pfile, box.env, '-c', 'show', 'pent')).status).toBe(0);
  });

  it('SIGINT shuts down too; the structured log carries message ids and fields', async () => {
    const { pfile, fixture, logFile } = setup();
    const daemon = new Pcheck(pfile, box.env);
    daemons.push(daemon.pid);
    await daemon.waitFor(/\) Up$/);
    daemon.kill('SIGINT');
    expect(await daemon.exited).toBe(0);
    const entries = readFileSync(logFile, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(entries.find((entry) => entry.msgId === 'PC101')).toMatchObject({ name: fixture, msg: expect.stringContaining(') Up') });
    expect(entries.at(-1)).toMatchObject({ msgId: 'PC002', reason: 'SIGINT', status: 0 });
  });
});

