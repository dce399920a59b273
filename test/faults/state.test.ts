// pcheck's own death (kill -9) loses no retry accounting and resumes nothing an operator paused.
import { readFileSync, writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { runPaths } from '../../src/control/paths.js';
import { eventually, isGone, padmin, Pcheck, sandbox, sleep, watchedFixture, type Sandbox } from '../e2e/harness.js';

let box: Sandbox;
const running: Pcheck[] = [];

afterEach(async () => {
  for (const pcheck of running.splice(0)) await pcheck.stop();
  box.cleanup();
});

function start(pfile: string): Pcheck {
  const pcheck = new Pcheck(pfile, box.env);
  running.push(pcheck);
  return pcheck;
}

async function show(pfile: string): Promise<Record<string, unknown>> {
  const result = await padmin(pfile, box.env, '-c', 'show', 'pent', '--json');
  expect(result.status).toBe(0);
  return (JSON.parse(result.stdout) as Record<string, unknown>[])[0] ?? {};
}

/** Kills the watched process and waits for pcheck to report the new one Up (the n-th Up line). */
async function killAndRestart(pcheck: Pcheck, pfile: string, ups: number): Promise<void> {
  const pid = (await show(pfile)).pid as number;
  process.kill(pid, 'SIGKILL');
  await pcheck.waitForCount(/\) Up$/, ups, 15_000);
}

describe('state across pcheck restarts', () => {
  it('kill -9 of pcheck keeps the retry budget; a retry over with continue stays retried over', async () => {
    box = sandbox();
    const { pfile } = watchedFixture(box);
    writeFileSync(pfile, readFileSync(pfile, 'utf8').replace(' - - - ', ' 2 3600 continue '));
    let pcheck = start(pfile);
    await pcheck.waitFor(/\) Up$/);
    await killAndRestart(pcheck, pfile, 2);
    const before = await show(pfile);
    expect(before).toMatchObject({ retry_count: 1, restart_count: 1, proc_sts: 'AVAIL' });
    await pcheck.stop();

    pcheck = start(pfile);
    await pcheck.waitFor(/State restored\. entries=1 dropped=0/);
    await pcheck.waitFor(/\) Up$/);
    expect(await show(pfile)).toMatchObject({ retry_count: 1, restart_count: 1, rerun_time: before.rerun_time });
    // the budget of 2 has one left: one more restart, then retry over
    await killAndRestart(pcheck, pfile, 2);
    const last = (await show(pfile)).pid as number;
    process.kill(last, 'SIGKILL');
    await pcheck.waitFor(/Retry over \(.*\) retries=2 action=continue/);
    await pcheck.stop();

    pcheck = start(pfile);
    await pcheck.waitFor(/State restored\. entries=1/);
    await sleep(1500);
    expect(await show(pfile)).toMatchObject({ proc_sts: 'UNAVAIL', monitor_sts: 'off', retry_count: 2, restart_count: 2 });
    expect(pcheck.lines.filter((line) => /Try to restart|Set pid fail/.test(line))).toEqual([]);
  });

  it('an entry paused with padmin stop stays paused after kill -9 of pcheck, until padmin start', async () => {
    box = sandbox();
    const { pfile } = watchedFixture(box);
    let pcheck = start(pfile);
    await pcheck.waitFor(/\) Up$/);
    expect((await padmin(pfile, box.env, '-c', 'stop')).status).toBe(0);
    await pcheck.stop();
    expect((await padmin(pfile, box.env, '-c', 'show', 'pent')).status).toBe(3);

    pcheck = start(pfile);
    await pcheck.waitFor(/State restored\. entries=1/);
    const paused = await show(pfile);
    expect(paused).toMatchObject({ monitor_sts: 'off' });
    // the watched process dies while paused: nothing is restarted
    const fixturePid = Number(/pid=(\d+)\) Up/.exec(running[0]?.lines.join('\n') ?? '')?.[1]);
    process.kill(fixturePid, 'SIGKILL');
    await eventually(() => (isGone(fixturePid) ? true : undefined), 5000, 'the fixture gone');
    await sleep(1500);
    expect(pcheck.lines.filter((line) => /Try to restart|Set pid fail|Up$/.test(line))).toEqual([]);

    expect((await padmin(pfile, box.env, '-c', 'start')).status).toBe(0);
    await pcheck.waitFor(/\) Up$/, 15_000);
    expect(await show(pfile)).toMatchObject({ monitor_sts: 'on', proc_sts: 'AVAIL' });
  });

  it('a damaged state file is ignored with a warning; a changed rule starts afresh', async () => {
    box = sandbox();
    const { pfile } = watchedFixture(box);
    const statePath = runPaths(pfile, box.env.PCHECK_RUN_DIR).socket.replace(/\.sock$/, '.state');
    let pcheck = start(pfile);
    await pcheck.waitFor(/\) Up$/);
    await killAndRestart(pcheck, pfile, 2);
    expect(await show(pfile)).toMatchObject({ restart_count: 1 });
    expect((await padmin(pfile, box.env, '-c', 'shutdown')).status).toBe(0);
    await pcheck.exited;
    expect(JSON.parse(readFileSync(statePath, 'utf8'))).toMatchObject({ version: 1, pfile, entries: [{ restartCount: 1 }] });

    writeFileSync(statePath, '{"version":1,"pfile":');
    pcheck = start(pfile);
    await pcheck.waitFor(/State file ignored: not valid JSON \(a partial or damaged file\)\. file='.*\.state'/);
    await pcheck.waitFor(/\) Up$/);
    expect(await show(pfile)).toMatchObject({ restart_count: 0 });
    await killAndRestart(pcheck, pfile, 2);
    await pcheck.stop();

    // the rule changed while pcheck was down (a new start_wait): its old accounting does not apply
    writeFileSync(pfile, readFileSync(pfile, 'utf8').replace('start_wait=5', 'start_wait=6'));
    pcheck = start(pfile);
    await pcheck.waitFor(/State restored\. entries=0 dropped=1/);
    await pcheck.waitFor(/\) Up$/);
    expect(await show(pfile)).toMatchObject({ restart_count: 0 });
  });
});
