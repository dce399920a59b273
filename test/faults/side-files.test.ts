// Files pcheck reads besides the pfile: a pid file replaced by a FIFO or by a link to /dev/zero must
// neither hang pcheck (its open would wait for a writer) nor fill its memory; other entries go on.
import { execFileSync } from 'node:child_process';
import { symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { padmin, Pcheck, sandbox, startDetached, type Sandbox } from '../e2e/harness.js';

let box: Sandbox;
let pcheck: Pcheck | null = null;

afterEach(async () => {
  await pcheck?.stop();
  pcheck = null;
  box.cleanup();
});

describe('a pid file that is not a file', () => {
  it.each([
    ['a FIFO', (path: string) => execFileSync('mkfifo', [path])],
    ['a link to /dev/zero', (path: string) => symlinkSync('/dev/zero', path)],
  ])('pidfile= naming %s: that entry finds nothing, pcheck answers, and the other entry is still restarted', async (_what, make) => {
    box = sandbox();
    const pidfile = join(box.dir, 'server.pid');
    make(pidfile);
    const other = box.fixture('otherd');
    const ghost = box.fixture('ghostd');
    const restartOther = box.script('restart-other.sh', `setsid ${other} 1000 >/dev/null 2>&1 &`);
    const noop = box.script('noop.sh', 'exit 0');
    const pfile = box.file('pfile', `${ghost} ${noop} 1 - continue pidfile=${pidfile} start_wait=1\n${other} ${restartOther} - - - start_wait=5\n`);
    const first = startDetached(other);
    pcheck = new Pcheck(pfile, box.env);
    await pcheck.waitFor(new RegExp(`pid=${first}\\) Up$`));
    await pcheck.waitFor(/Retry over \('.*ghostd'\)/, 10_000);

    const shown = await padmin(pfile, box.env, '-c', 'show', 'pent', '--json');
    expect(shown.status).toBe(0);
    expect((JSON.parse(shown.stdout) as { proc_sts: string }[]).map((pent) => pent.proc_sts)).toEqual(['UNAVAIL', 'AVAIL']);
    process.kill(first, 'SIGKILL');
    await pcheck.waitFor(new RegExp(`pid=${first}\\] (Down|Zombie)$`));
    await pcheck.waitForCount(/otherd' ,pid=\d+\) Up$/, 2, 15_000);
  });
});
