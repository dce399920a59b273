// pcheck and padmin logging to a real rsyslog daemon, started by the test on its own socket.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, padmin, Pcheck, sandbox, startDetached, type Sandbox } from './harness.js';

const RSYSLOGD = '/usr/sbin/rsyslogd';
let box: Sandbox;
let rsyslog: ChildProcess | null = null;
let socket: string;
let output: string;

function startRsyslog(): Promise<void> {
  const config = join(box.dir, 'rsyslog.conf');
  writeFileSync(
    config,
    [
      'module(load="imuxsock" SysSock.Use="off")',
      `input(type="imuxsock" Socket="${socket}" CreatePath="on")`,
      'template(name="t" type="string" string="%syslogfacility-text%.%syslogseverity-text% %syslogtag%%msg%\\n")',
      `daemon.* action(type="omfile" file="${output}" template="t")`,
      '',
    ].join('\n'),
  );
  rsyslog = spawn(RSYSLOGD, ['-n', '-f', config, '-i', join(box.dir, 'rsyslog.pid')], { stdio: 'ignore' });
  return eventually(() => (existsSync(socket) ? true : undefined), 10_000, 'the rsyslog socket').then(() => undefined);
}

async function stopRsyslog(): Promise<void> {
  if (rsyslog === null) return;
  const exited = new Promise((resolve) => rsyslog?.once('exit', resolve));
  rsyslog.kill('SIGTERM');
  await exited;
  rsyslog = null;
}

const logged = () => (existsSync(output) ? readFileSync(output, 'utf8') : '');

beforeAll(async () => {
  if (!existsSync(RSYSLOGD)) throw new Error('rsyslogd is not installed: apt-get install -y rsyslog (.ci/run does)');
  box = sandbox();
  socket = join(box.dir, 'log.sock');
  output = join(box.dir, 'syslog.out');
  await startRsyslog();
});

afterAll(async () => {
  await stopRsyslog();
  box.cleanup();
});

describe('syslog', () => {
  it('pcheck messages reach rsyslog with facility daemon, tag pcheck[pid] and the exact text', async () => {
    const fixture = box.fixture('syslogd-test');
    const script = box.script('restart.sh', `setsid ${fixture} 1000 >/dev/null 2>&1 &`);
    const pfile = box.file('pfile', `${fixture} ${script} - - - start_wait=5\n`);
    const first = startDetached(fixture);
    const env = { ...box.env, PCHECK_SYSLOG_SOCKET: socket };
    const pcheck = new Pcheck(pfile, env);
    try {
      await eventually(() => (logged().includes(`daemon.notice pcheck[${pcheck.pid}]: ('${fixture}' ,pid=${first}) Up\n`) ? true : undefined), 10_000, 'Up in syslog');
      process.kill(first, 'SIGKILL');
      await eventually(() => (logged().includes(`daemon.warning pcheck[${pcheck.pid}]: Process ['${fixture}',pid=${first}] Down\n`) ? true : undefined), 10_000, 'Down in syslog');
      await eventually(() => (logged().includes(`daemon.notice pcheck[${pcheck.pid}]: Try to restart ('${fixture}')\n`) ? true : undefined), 10_000, 'Try to restart in syslog');

      const shown = await padmin(pfile, env, '-c', 'show', 'pent');
      expect(shown.status).toBe(0);
      expect(shown.stderr).toBe('');
      await eventually(() => (/daemon\.info padmin\[\d+\]: Command execute\. \[show pent\] pfile='.*pfile'\n/.test(logged()) ? true : undefined), 10_000, 'Command execute in syslog');

      // rsyslog restarts: later messages still arrive
      await stopRsyslog();
      await startRsyslog();
      const upLines = await eventually(() => {
        const ups = logged().split('\n').filter((line) => line.includes(') Up'));
        return ups.length >= 2 ? ups : undefined;
      }, 10_000, 'the restarted process Up in syslog');
      const second = Number(/pid=(\d+)\) Up/.exec(upLines[1] ?? '')?.[1]);
      const before = logged().split('\n').length;
      process.kill(second, 'SIGKILL');
      await eventually(
        // reparented to init by setsid: a zombie until init reaps it, Down after
        () => (logged().split('\n').slice(before - 1).some((line) => new RegExp(`pid=${second}\\] (Down|Zombie)$`).test(line)) ? true : undefined),
        10_000,
        'Down in syslog after rsyslog restarted',
      );
    } finally {
      pcheck.kill('SIGKILL');
      await pcheck.exited;
    }
  });
});
