import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it, onTestFinished } from 'vitest';
import { MSG } from '../../src/log/catalogue.js';
import { createMessageLog, loadPino } from '../../src/log/message-log.js';

describe('the catalogue', () => {
  it("reproduces SPEC §6's texts to the character", () => {
    expect(MSG.up.text({ name: '/opt/HA/PS/test_pm', pid: 26206 })).toBe("('/opt/HA/PS/test_pm' ,pid=26206) Up");
    expect(MSG.down.text({ name: 'httpd', pid: 7, reason: 'gone' })).toBe("Process ['httpd',pid=7] Down");
    expect(MSG.tryRestart.text({ name: 'httpd', reason: 'down', retry: 1 })).toBe("Try to restart ('httpd')");
    expect(MSG.setPidFail.text({ name: 'httpd' })).toBe("Set pid fail ('httpd')");
    expect(MSG.stallWeb.text({ pid: 12, port: 80 })).toBe('Find Web Server Stall: pid = 12 : port = 80');
    expect(MSG.stallSocket.text({ pid: 12, port: 22 })).toBe('Find Socket Service Stall: pid = 12 : port = 22');
    expect(MSG.killed.text({ pid: 12 })).toBe('Killed Process: pid= 12');
    expect(MSG.killFailed.text({ pid: 12, error: 'EPERM' })).toBe('Can not killed Process: pid= 12');
    expect(MSG.command.text({ command: 'show pent', pfile: '/etc/p' })).toBe("Command execute. [show pent] pfile='/etc/p'");
  });

  it('ids are unique', () => {
    const ids = Object.values(MSG).map((message) => message.id);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe('createMessageLog', () => {
  const capture = () => {
    const stream = new PassThrough();
    let text = '';
    stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
    return { stream, text: () => text };
  };

  it('without a syslog socket, each message goes to stderr once, tagged, foreground or not', async () => {
    for (const foreground of [true, false]) {
      const stderr = capture();
      const log = createMessageLog({ tag: 'pcheck', pid: 42, foreground, logFile: null, syslogSocket: '/nonexistent/log', stderr: stderr.stream });
      log.emit('up', { name: 'httpd', pid: 7 });
      await log.close();
      expect(stderr.text()).toBe("pcheck[42]: ('httpd' ,pid=7) Up\n");
    }
  });

  it('LogFile gets one JSON object per message with its id, fields and text', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pcheck-log-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'sub/pcheck.json');
    const log = createMessageLog({ tag: 'pcheck', pid: 42, foreground: false, logFile: file, syslogSocket: '/nonexistent/log', stderr: capture().stream });
    log.emit('down', { name: 'httpd', pid: 7, reason: 'reused' });
    log.emit('retryOver', { name: 'httpd', action: 'exit', retries: 3 });
    await log.close();
    const lines = readFileSync(file, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines[0]).toMatchObject({ level: 40, msgId: 'PC102', name: 'httpd', pid: 7, reason: 'reused', msg: "Process ['httpd',pid=7] Down", tag: 'pcheck', daemonPid: 42 });
    expect(lines[1]).toMatchObject({ level: 50, msgId: 'PC109', action: 'exit', retries: 3 });
  });

  it('without pino (padmin) LogFile gets the very lines pino writes, but for the time', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pcheck-log-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const pino = await loadPino();
    const read = (file: string) =>
      readFileSync(file, 'utf8')
        .trim()
        .split('\n')
        .map((line) => {
          const { time, ...rest } = JSON.parse(line) as Record<string, unknown>;
          expect(time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
          return JSON.stringify(rest);
        });
    for (const [file, options] of [
      [join(dir, 'a/pino.json'), { pino }],
      [join(dir, 'b/line.json'), {}],
    ] as const) {
      const log = createMessageLog({ tag: 'padmin', pid: 42, foreground: false, logFile: file, syslogSocket: '/nonexistent/log', stderr: capture().stream, ...options });
      log.emit('down', { name: 'a "quoted"\nname', pid: 7, reason: 'reused' }, { pentId: 3, pname: 'x' });
      log.emit('retryOver', { name: 'httpd', action: 'exit', retries: 3 });
      log.emit('up', { name: 'httpd', pid: 8 });
      await log.close();
    }
    expect(read(join(dir, 'b/line.json'))).toEqual(read(join(dir, 'a/pino.json')));
  });

  it('a LogFile that cannot be opened is said on stderr and messages still flow', async () => {
    const stderr = capture();
    const log = createMessageLog({ tag: 'pcheck', pid: 42, foreground: false, logFile: '/dev/null/no-dir/log', syslogSocket: '/nonexistent/log', stderr: stderr.stream });
    log.emit('setPidFail', { name: 'httpd' });
    await log.close();
    expect(stderr.text()).toContain('cannot open LogFile /dev/null/no-dir/log');
    expect(stderr.text()).toContain("Set pid fail ('httpd')");
  });
});
