// The command destination with real commands: what they receive, how their failures read, and that a
// timeout ends the command and what it started.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { commandSender, leadingEvent } from '../../src/alerts/command.js';
import type { CommandDestination } from '../../src/alerts/types.js';
import { eventually, sandbox, type Sandbox } from '../e2e/harness.js';
import { down, retryOver, tryRestart, up } from './destination-events.js';

let box: Sandbox;

beforeEach(() => {
  box = sandbox();
});

afterEach(() => box.cleanup());

function destination(path: string, overrides: Partial<CommandDestination> = {}): CommandDestination {
  return { kind: 'command', name: 'phone', line: 1, timeoutSeconds: 10, path, args: [], ...overrides };
}

/** Alive and not a zombie. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** An event whose PS_PFILE names the sandbox: whatever the command leaves running, the sandbox's cleanup kills. */
const tagged = (): ReturnType<typeof down> => down({ pfile: join(box.dir, 'pfile') });

const pidIn = (file: string): Promise<number> =>
  eventually(() => (existsSync(file) && readFileSync(file, 'utf8').trim() !== '' ? Number(readFileSync(file, 'utf8')) : undefined), 10_000, file);

describe('command destination', () => {
  it('gets the events as JSON on stdin, the most severe one in PS_* variables, and its arguments', async () => {
    const script = box.script('gateway', `cat > "${box.dir}/stdin.json"\nenv | grep '^PS_' | sort > "${box.dir}/env.txt"\nprintf '%s\\n' "$@" > "${box.dir}/args.txt"`);
    const events = [down(), tryRestart(), retryOver(), up()];
    await commandSender(destination(script, { args: ['--to', '0312345678'] }))(events);

    expect(JSON.parse(readFileSync(join(box.dir, 'stdin.json'), 'utf8'))).toEqual({
      host: 'web01',
      pfile: '/etc/pcheck/web.pfile',
      events: JSON.parse(JSON.stringify(events)),
    });
    const retry = events[2];
    expect(readFileSync(join(box.dir, 'env.txt'), 'utf8').split('\n').filter((line) => line !== '')).toEqual([
      'PS_EVENT_COUNT=4',
      'PS_EVENT_ID=PC109',
      'PS_EVENT_KEY=retryOver',
      'PS_EVENT_RESOLVES=0',
      'PS_EVENT_SEVERITY=err',
      'PS_EVENT_TEST=0',
      "PS_EVENT_TEXT=Retry over ('httpd') retries=3 action=none",
      `PS_EVENT_TIME=${retry?.time}`,
      'PS_HOST=web01',
      'PS_PENT_ID=1',
      'PS_PFILE=/etc/pcheck/web.pfile',
      'PS_PID=',
      'PS_PNAME=httpd',
    ]);
    expect(readFileSync(join(box.dir, 'args.txt'), 'utf8')).toBe('--to\n0312345678\n');
  });

  it('the leading event is the most severe, the earliest of equals', () => {
    const first = down();
    expect(leadingEvent([tryRestart(), first, down(), up()])).toBe(first);
  });

  it('exit 3: the error names the status and the first line of stderr', async () => {
    const script = box.script('refuses', `cat >/dev/null\necho '' >&2\necho 'gateway refused: no credit' >&2\necho 'second line' >&2\nexit 3`);
    await expect(commandSender(destination(script))([down()])).rejects.toThrow(`command ${script} exited with status 3: gateway refused: no credit`);
  });

  it('a command killed by a signal says which', async () => {
    const script = box.script('dies', 'kill -9 $$');
    await expect(commandSender(destination(script))([down()])).rejects.toThrow(`command ${script} was killed by SIGKILL`);
  });

  it('past the timeout the command and its child are killed, and the error says so at once', async () => {
    const script = box.script('hangs', `echo $$ > "${box.dir}/parent.pid"\nsleep 1000 &\necho $! > "${box.dir}/child.pid"\nwait`);
    const sending = commandSender(destination(script, { timeoutSeconds: 1 }))([tagged()]);
    const parent = await pidIn(join(box.dir, 'parent.pid'));
    const child = await pidIn(join(box.dir, 'child.pid'));
    expect(alive(parent) && alive(child)).toBe(true);
    await expect(sending).rejects.toThrow(`command ${script} timed out after 1 s: its process group was sent SIGTERM, and SIGKILL 1 s later`);
    await eventually(() => (!alive(parent) && !alive(child) ? true : undefined), 10_000, 'the command and its child gone');
  });

  it('a command that ignores SIGTERM is killed too', async () => {
    const script = box.script('stubborn', `trap '' TERM\necho $$ > "${box.dir}/parent.pid"\nwhile :; do sleep 0.1; done`);
    const sending = commandSender(destination(script, { timeoutSeconds: 1 }))([tagged()]);
    const parent = await pidIn(join(box.dir, 'parent.pid'));
    await expect(sending).rejects.toThrow(/timed out after 1 s/);
    await eventually(() => (!alive(parent) ? true : undefined), 10_000, 'the stubborn command gone');
  });

  it('runs in a process group and session of its own', async () => {
    const script = box.script('group', `cat /proc/$$/stat > "${box.dir}/stat"`);
    await commandSender(destination(script))([down()]);
    const stat = readFileSync(join(box.dir, 'stat'), 'utf8');
    const [pid] = stat.split(' ');
    const [, , pgrp, session] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    expect(pgrp).toBe(pid);
    expect(session).toBe(pid);
  });

  it('a command that does not read stdin still succeeds, even with more than a pipe holds', async () => {
    const script = box.script('ignores', 'exit 0');
    const many = Array.from({ length: 400 }, () => down({ text: `Process ['httpd',pid=4242] Down ${'x'.repeat(200)}` }));
    await commandSender(destination(script))(many);
  });

  it('a child left holding stderr does not hold the delivery until the timeout', async () => {
    const script = box.script('leaves', `sleep 1000 &\necho $! > "${box.dir}/child.pid"\nexit 0`);
    await commandSender(destination(script, { timeoutSeconds: 30 }))([tagged()]);
    process.kill(await pidIn(join(box.dir, 'child.pid')), 'SIGKILL');
  });

  it('megabytes on stderr are read, not kept: the first line is quoted', async () => {
    const script = box.script('floods', `echo 'first complaint' >&2\nhead -c 5000000 /dev/zero | tr '\\0' 'y' >&2\nexit 1`);
    await expect(commandSender(destination(script))([down()])).rejects.toThrow(`command ${script} exited with status 1: first complaint`);
  });

  it('a missing or non-executable command is named with the reason', async () => {
    const missing = join(box.dir, 'no-such-command');
    await expect(commandSender(destination(missing))([down()])).rejects.toThrow(`command ${missing}: ENOENT`);
    const plain = box.file('not-executable', '#!/bin/sh\nexit 0\n');
    await expect(commandSender(destination(plain))([down()])).rejects.toThrow(`command ${plain}: EACCES`);
  });
});
