// A full disk under the structured log, the state dump and the state file (a small tmpfs made by the
// test): monitoring goes on, each failure is said once, and everything resumes when space returns.
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually, padmin, Pcheck, sandbox, sleep, watchedFixture, type Sandbox } from '../e2e/harness.js';

let box: Sandbox;
let pcheck: Pcheck | null = null;
let mounted: string | null = null;

afterEach(async () => {
  await pcheck?.stop();
  pcheck = null;
  if (mounted !== null) execFileSync('umount', ['-l', mounted]);
  mounted = null;
  box.cleanup();
});

/** Writes zeros into `dir` until the file system is full, then blanks into the log's last page (JSON lines allow leading blanks). */
function fill(dir: string, log: string): void {
  const untilFull = (write: () => void): void => {
    for (;;) {
      try {
        write();
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOSPC') return;
        throw error;
      }
    }
  };
  let index = 0;
  untilFull(() => writeFileSync(join(dir, `filler-${(index += 1)}`), Buffer.alloc(4096)));
  untilFull(() => appendFileSync(log, ' '));
}

describe('full disk', () => {
  it('log, dump and state file on a full file system: restarts go on, each failure is said once, all resume when space returns', async () => {
    if (process.getuid?.() !== 0) throw new Error('this test mounts a small tmpfs: run it as root (.ci/run does)');
    box = sandbox();
    const disk = join(box.dir, 'disk');
    mkdirSync(disk);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=512k,mode=0755', 'tmpfs', disk]);
    mounted = disk;
    const { pfile } = watchedFixture(box, `LogFile ${disk}/pcheck.log\nDumpFileName ${disk}/dump.json\n`);
    const env = { ...box.env, PCHECK_RUN_DIR: join(disk, 'run') };
    pcheck = new Pcheck(pfile, env);
    await pcheck.waitFor(/\) Up$/);

    fill(disk, join(disk, 'pcheck.log'));
    for (let round = 1; round <= 2; round += 1) {
      const pid = Number(/pid=(\d+)\) Up$/.exec(pcheck.lines.filter((line) => / Up$/.test(line)).at(-1) ?? '')?.[1]);
      process.kill(pid, 'SIGKILL');
      await pcheck.waitForCount(/\) Up$/, round + 1, 15_000);
    }
    await pcheck.waitFor(/State file not written: ENOSPC: no space left on device.*\. file='.*\.state'/);
    expect(pcheck.lines.filter((line) => line.includes('State file not written'))).toHaveLength(1);
    expect(pcheck.lines.filter((line) => line.includes(`cannot write LogFile ${disk}/pcheck.log: ENOSPC`))).toHaveLength(1);
    pcheck.kill('SIGUSR1');
    await pcheck.waitFor(/State dump failed\. file='.*dump\.json' ENOSPC/);
    const shown = await padmin(pfile, env, '-c', 'show', 'pent', '--json');
    expect(shown.status).toBe(0);
    expect(JSON.parse(shown.stdout)[0]).toMatchObject({ proc_sts: 'AVAIL', restart_count: 2 });

    // space returns: the next change is written, the dump too, and the log goes on
    for (const name of execFileSync('ls', [disk], { encoding: 'utf8' }).split('\n')) {
      if (name.startsWith('filler-')) rmSync(join(disk, name));
    }
    const pid = Number(/pid=(\d+)\) Up$/.exec(pcheck.lines.filter((line) => / Up$/.test(line)).at(-1) ?? '')?.[1]);
    process.kill(pid, 'SIGKILL');
    await pcheck.waitForCount(/\) Up$/, 4, 15_000);
    await sleep(200);
    const statePath = execFileSync('sh', ['-c', `ls ${disk}/run/*.state`], { encoding: 'utf8' }).trim();
    expect(JSON.parse(readFileSync(statePath, 'utf8'))).toMatchObject({ entries: [{ restartCount: 3 }] });
    pcheck.kill('SIGUSR1');
    await pcheck.waitFor(/State dump written\. file='.*dump\.json'/);
    // nothing said while the disk was full is lost: it is written once there is room
    const records = await eventually(() => {
      const lines = readFileSync(join(disk, 'pcheck.log'), 'utf8').split('\n').filter((line) => line.trim() !== '');
      const parsed = lines.map((line) => JSON.parse(line) as { msgId: string });
      return parsed.some((record) => record.msgId === 'PC006') ? parsed : undefined;
    }, 5000, 'the dump record in the log');
    expect(records.filter((record) => record.msgId === 'PC016')).toHaveLength(1);
    expect(records.filter((record) => record.msgId === 'PC101')).toHaveLength(4);
    expect(pcheck.lines.join('\n')).not.toMatch(/Internal error|pcheck stop|    at /);
  });
});
