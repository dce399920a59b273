// AlertFile: loadPfile reads the alert file the pfile names, with real files.
import { execFileSync } from 'node:child_process';
import { chmodSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadPfile } from '../../src/pfile/load.js';
import { parse } from '../../src/pfile/parse.js';
import { formatDiagnostic } from '../../src/pfile/types.js';
import { sandbox, type Sandbox } from '../e2e/harness.js';
import { host } from '../helpers/host.js';

let box: Sandbox;
let script: string;

beforeEach(() => {
  box = sandbox();
  script = box.script('restart.sh', 'exit 0');
});

afterEach(() => box.cleanup());

const printed = (result: ReturnType<typeof loadPfile>) => [...result.errors, ...result.warnings].map(formatDiagnostic);
const command = (path = '/bin/true') => `command phone {\n    path ${path}\n}\nfallback phone\n`;

describe('the AlertFile keyword', () => {
  it('is none by default; an absolute path is kept; a relative one is an error', () => {
    expect(parse('', '/etc/p', host).config).toMatchObject({ alertFile: null, alerts: null });
    expect(parse('AlertFile /etc/pcheck/alerts\n', '/etc/p', host)).toMatchObject({
      config: { alertFile: '/etc/pcheck/alerts', alerts: null },
      alertFile: { path: '/etc/pcheck/alerts', line: 1 },
    });
    expect(parse('AlertFile alerts\n', '/etc/p', host).errors.map((error) => error.message)).toEqual(['AlertFile must be an absolute path (got "alerts")']);
  });
});

describe('loadPfile with an alert file', () => {
  it('a good alert file becomes config.alerts', () => {
    const alerts = box.file('alerts', `${command()}rule r {\n    entry /usr/sbin/httpd\n    send phone\n}\n`);
    const pfile = box.file('pfile', `AlertFile ${alerts}\n/usr/sbin/httpd ${script}\n`);
    const result = loadPfile(pfile);
    expect(printed(result)).toEqual([]);
    expect(result.config?.alertFile).toBe(alerts);
    expect(result.config?.alerts).toMatchObject({ file: alerts, destinations: [{ kind: 'command', name: 'phone' }], rules: [{ name: 'r' }] });
    expect(Object.isFrozen(result.config)).toBe(true);
  });

  it("the alert file's errors and warnings name the alert file and its line, after the pfile's", () => {
    const alerts = box.file('alerts', `${command()}rule r {\n    entry /usr/sbin/nginx\n    send phone pager\n}\n`);
    const pfile = box.file('pfile', `AlertFile ${alerts}\nMonitorInterval 0\n/usr/sbin/httpd ${script}\n`);
    const result = loadPfile(pfile);
    expect(result.config).toBeNull();
    expect(printed(result)).toEqual([
      `${pfile}:2: error: MonitorInterval must be a number of seconds at least 1 and at most 2147483 s (about 24 days), written in decimal like 30 or 0.5 (got "0"); the default is 10`,
      `${alerts}:7: error: rule r: send: no destination named "pager"; destinations are phone`,
    ]);
    // with the pfile's entries known, the rule's entry is checked against them
    const fixed = box.file('pfile', `AlertFile ${alerts}\n/usr/sbin/httpd ${script}\n`);
    expect(printed(loadPfile(fixed))).toContain(`${alerts}:5: warning: rule r: no process entry of the pfile has pname /usr/sbin/nginx; the rule matches nothing until one does`);
  });

  it('an alert file that does not exist, or is not a regular file, is an error on the AlertFile line', () => {
    const missing = join(box.dir, 'no-alerts');
    const pfile = box.file('pfile', `MonitorInterval 5\nAlertFile ${missing}\n/usr/sbin/httpd ${script}\n`);
    expect(printed(loadPfile(pfile))).toEqual([`${pfile}:2: error: AlertFile ${missing}: no such file; create it, or remove the AlertFile line`]);
    execFileSync('mkfifo', [missing]);
    expect(printed(loadPfile(pfile))).toEqual([
      `${pfile}:2: error: AlertFile ${missing}: it is a FIFO; the alert file must be a regular file (or a symbolic link to one)`,
    ]);
  });

  it('a symbolic link to an alert file is read; one others may write is refused', () => {
    const alerts = box.file('alerts', command());
    const link = join(box.dir, 'alerts.link');
    symlinkSync(alerts, link);
    const pfile = box.file('pfile', `AlertFile ${link}\n/usr/sbin/httpd ${script}\n`);
    expect(loadPfile(pfile).config?.alerts?.destinations).toHaveLength(1);
    chmodSync(alerts, 0o666);
    expect(printed(loadPfile(pfile))).toEqual([
      `${pfile}:1: error: AlertFile ${link}: others may write it (mode 0666), and it names programs pcheck runs; chmod o-w it`,
    ]);
  });

  it('an oversized alert file is refused', () => {
    const alerts = box.file('alerts', `# ${'x'.repeat(256 * 1024)}\n`);
    const pfile = box.file('pfile', `AlertFile ${alerts}\n`);
    expect(printed(loadPfile(pfile))[0]).toMatch(/^.*:1: error: AlertFile .*: it is 262147 bytes, over the limit of 262144 bytes \(256 KiB\)$/);
  });

  it('secret files must be 0600 or 0400 and not empty; a command must be executable', () => {
    const secret = box.file('smtp.secret', 'hunter2\n');
    const empty = box.file('empty.secret', '');
    chmodSync(empty, 0o600);
    const notExecutable = box.file('call', '#!/bin/sh\n');
    const alerts = box.file(
      'alerts',
      [
        'mail m {',
        '    host 127.0.0.1',
        '    from a@b',
        '    to c@d',
        '    auth_user u',
        `    auth_password_file ${secret}`,
        '}',
        'webhook w {',
        '    url https://127.0.0.1/x',
        `    token_file ${empty}`,
        '}',
        'command c {',
        `    path ${notExecutable}`,
        '}',
        'fallback m w c',
        '',
      ].join('\n'),
    );
    const pfile = box.file('pfile', `AlertFile ${alerts}\n`);
    chmodSync(secret, 0o644);
    expect(printed(loadPfile(pfile))).toEqual([
      `${alerts}:6: error: mail m: auth_password_file ${secret}: mode 0644 lets its group or others use it; it must be a file only its owner may read and write (chmod 600)`,
      `${alerts}:10: error: webhook w: token_file ${empty}: empty; it must be a file only its owner may read and write (chmod 600)`,
      `${alerts}:13: error: command c: path ${notExecutable}: not executable; it must be an executable file`,
    ]);
    chmodSync(secret, 0o400);
    const result = loadPfile(pfile);
    expect(printed(result).filter((line) => line.includes(secret))).toEqual([]);
    // the secret is checked, never read into the configuration
    expect(JSON.stringify(result)).not.toContain('hunter2');
  });
});
