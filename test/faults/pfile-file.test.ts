// The pfile replaced by something that is not a regular file, or grown huge: pcheck and padmin
// refuse it at once, and a running pcheck goes on monitoring and answering (issue 8, items 5 and 7).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadPfile } from '../../src/pfile/load.js';
import { LIMITS } from '../../src/pfile/types.js';
import { padmin, Pcheck, PCHECK, PADMIN, run, sandbox, watchedFixture, type Sandbox } from '../e2e/harness.js';

let box: Sandbox;
let pcheck: Pcheck | null = null;
const started: ChildProcess[] = [];
const servers: Server[] = [];

afterEach(async () => {
  for (const child of started.splice(0)) child.kill('SIGKILL');
  for (const server of servers.splice(0)) server.close();
  if (pcheck !== null && pcheck.child.exitCode === null) {
    pcheck.kill('SIGKILL');
    await pcheck.exited;
  }
  pcheck = null;
  box.cleanup();
});

function fifo(name: string): string {
  const path = join(box.dir, name);
  execFileSync('mkfifo', [path]);
  // a pfile reader that blocks opening the FIFO (the old readFileSync) is freed by this writer after
  // 3 s and then reads an empty pfile: the test fails instead of hanging the test run
  const writer = spawn('sh', ['-c', 'sleep 3; : > "$0"', path], { stdio: 'ignore' });
  started.push(writer);
  return path;
}

/** The one error loadPfile reports for `path`, at line 0 of that file. */
function refusal(path: string): string {
  const result = loadPfile(path);
  expect(result.config).toBeNull();
  expect(result.errors).toHaveLength(1);
  expect(result.errors[0]).toMatchObject({ file: path, line: 0, severity: 'error' });
  return result.errors[0]?.message ?? '';
}

describe('loadPfile reads only a regular file, and at most the size limit', () => {
  it('a FIFO is refused at once, without waiting for a writer', () => {
    box = sandbox();
    expect(refusal(fifo('pfile'))).toBe('cannot read the pfile: it is a FIFO; the pfile must be a regular file (or a symbolic link to one)');
  });

  it('a symbolic link to a FIFO is refused as a FIFO; one to a regular file is read', () => {
    box = sandbox();
    const link = join(box.dir, 'link');
    symlinkSync(fifo('pfile'), link);
    expect(refusal(link)).toMatch(/it is a FIFO; the pfile must be a regular file/);
    const regular = box.file('regular', 'MonitorInterval 7\n');
    const good = join(box.dir, 'good-link');
    symlinkSync(regular, good);
    expect(loadPfile(good)).toMatchObject({ errors: [], config: { monitorInterval: 7 } });
  });

  it('a directory, a character device, a socket', async () => {
    box = sandbox();
    expect(refusal(box.dir)).toMatch(/it is a directory; the pfile must be a regular file/);
    expect(refusal('/dev/null')).toMatch(/it is a character device; the pfile must be a regular file/);
    const socket = join(box.dir, 'socket');
    const server = createServer();
    servers.push(server);
    await new Promise<void>((listening) => server.listen(socket, listening));
    expect(refusal(socket)).toMatch(/it is a socket; the pfile must be a regular file/);
  });

  it('a pfile over 256 KiB is refused with its size and the limit; one of exactly 256 KiB is read', () => {
    box = sandbox();
    expect(LIMITS.pfileBytes).toBe(262144);
    const line = `# ${'x'.repeat(1021)}\n`;
    const atLimit = box.file('at-limit', line.repeat(256));
    expect(loadPfile(atLimit)).toMatchObject({ errors: [], config: { entries: [] } });
    const over = box.file('over', `${line.repeat(256)}\n`);
    expect(refusal(over)).toBe(
      'the pfile is 262145 bytes, over the limit of 262144 bytes (256 KiB); a pfile is a few KB: check that -f names the pfile',
    );
    // a file that says it is empty but is not (as /proc files do) is still read only up to the limit
    expect(refusal('/proc/kallsyms')).toMatch(/^the pfile is more than 262144 bytes, over the limit/);
  });
});

describe('pcheck -t and padmin in front of a pfile that is not a file', () => {
  const within = 10_000;
  it('pcheck -t on a FIFO and on /dev/zero: exit 2 with the reason, at once', async () => {
    box = sandbox();
    const pipe = fifo('pfile');
    const checked = await run(process.execPath, [PCHECK, '-t', '-f', pipe], box.env, within);
    expect(checked).toMatchObject({ status: 2, stdout: '' });
    expect(checked.stderr).toBe(`${pipe}:0: error: cannot read the pfile: it is a FIFO; the pfile must be a regular file (or a symbolic link to one)\n`);
    // /dev/zero never ends: reading it whole never returns
    const zero = join(box.dir, 'zero');
    symlinkSync('/dev/zero', zero);
    const endless = await run(process.execPath, [PCHECK, '-t', '-f', zero], box.env, within);
    expect(endless.status).toBe(2);
    expect(endless.stderr).toMatch(/it is a character device; the pfile must be a regular file/);
  });

  it('a running pcheck whose pfile becomes a FIFO refuses the reload at once, answers, and goes on monitoring', async () => {
    box = sandbox();
    const { fixture, pfile } = watchedFixture(box, 'MonitorInterval 1\n');
    const text = `MonitorInterval 1\n${fixture} ${join(box.dir, 'restart.sh')} - - - start_wait=5\n`;
    pcheck = new Pcheck(pfile, box.env);
    const upLine = new RegExp(`\\('${fixture}' ,pid=(\\d+)\\) Up$`);
    const first = Number(upLine.exec(await pcheck.waitFor(upLine))?.[1]);

    rmSync(pfile);
    fifo('pfile');
    const reload = await run(process.execPath, [PADMIN, '-f', pfile, '-c', 'reload'], box.env, within);
    expect(reload.status).toBe(1);
    expect(reload.stderr).toContain(`${pfile}:0: error: cannot read the pfile: it is a FIFO; the pfile must be a regular file`);
    expect(reload.stderr).toContain('the running configuration is unchanged');

    const shown = await run(process.execPath, [PADMIN, '-f', pfile, '-c', 'show', 'pent'], box.env, within);
    expect(shown.status).toBe(0);
    expect(shown.stdout).toContain(`pid                  = ${first}\n`);

    // monitoring did not stop: a death is still noticed and the process restarted
    process.kill(first, 'SIGKILL');
    await pcheck.waitFor(new RegExp(`Process \\['${fixture}',pid=${first}\\] Down`));
    await pcheck.waitForCount(upLine, 2);

    rmSync(pfile);
    writeFileSync(pfile, text);
    const fixed = await padmin(pfile, box.env, '-c', 'reload');
    expect(fixed.status).toBe(0);
    expect(fixed.stdout).toMatch(/kept 1/);
  });
});
