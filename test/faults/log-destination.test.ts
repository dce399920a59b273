// An unusable LogFile: -t warns with file:line, and a detached start with no syslog either is refused
// (every message would go nowhere) instead of exiting 0.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { logFileProblem } from '../../src/log/log-file-check.js';
import { padmin, PCHECK, run, sandbox, type Sandbox } from '../e2e/harness.js';

let box: Sandbox;
afterEach(() => box.cleanup());

/** A pfile watching a fixture (not started: these tests are about the start itself) with `head` first. */
function pfileWith(head: string): string {
  const script = box.script('restart.sh', 'exit 0');
  return box.file('pfile', `${head}${box.fixture('testd')} ${script} - - - start_wait=1\n`);
}

describe('LogFile that cannot be written', () => {
  it('logFileProblem: /proc/x and a file under a regular file are refused; a new file or directory is fine and left uncreated', () => {
    box = sandbox();
    expect(logFileProblem('/proc/x')).toBe('ENOENT');
    expect(logFileProblem(join(box.file('plain', ''), 'x.log'))).toBe('ENOTDIR');
    expect(logFileProblem(join(box.dir, 'new.log'))).toBeNull();
    expect(logFileProblem(join(box.dir, 'a/b/new.log'))).toBeNull();
    expect(readdirSync(box.dir).sort()).toEqual(['plain']);
  });

  it('pcheck -t warns with the LogFile line; the detached start without syslog is refused with the reason', async () => {
    box = sandbox();
    const pfile = pfileWith('# web servers\nLogFile /proc/x\n');
    const checked = await run(process.execPath, [PCHECK, '-t', '-f', pfile], box.env);
    expect(checked.status).toBe(0);
    expect(checked.stderr).toContain(`${pfile}:2: warning: LogFile /proc/x cannot be written (ENOENT) and there is no syslog socket at ${box.env.PCHECK_SYSLOG_SOCKET}`);

    const started = await run(process.execPath, [PCHECK, '-f', pfile], box.env);
    expect(started.status).toBe(1);
    expect(started.stderr).toContain('pcheck: LogFile /proc/x cannot be written (ENOENT) and there is no syslog socket');
    expect(started.stderr).toContain('every message would go nowhere');
    expect((await padmin(pfile, box.env, '-c', 'show', 'pent')).status).toBe(3);
  });

  it('with syslog present the start goes on, and says that messages go to syslog only', async () => {
    box = sandbox();
    const pfile = pfileWith('LogFile /proc/x\n');
    const env = { ...box.env, PCHECK_SYSLOG_SOCKET: box.file('syslog.sock', '') };
    const started = await run(process.execPath, [PCHECK, '-f', pfile], env);
    expect(started.stderr).toContain('pcheck: warning: LogFile /proc/x cannot be written (ENOENT): messages go to syslog only');
    expect(started.status).toBe(0);
    expect((await padmin(pfile, env, '-c', 'shutdown')).status).toBe(0);
  });

  it('a LogFile in a directory that does not exist yet passes -t silently and -t creates nothing', async () => {
    box = sandbox();
    const pfile = pfileWith(`LogFile ${join(box.dir, 'logs/web/pcheck.log')}\n`);
    const checked = await run(process.execPath, [PCHECK, '-t', '-f', pfile], box.env);
    expect(checked.status).toBe(0);
    expect(checked.stderr).toBe('');
    expect(existsSync(join(box.dir, 'logs'))).toBe(false);
  });
});
