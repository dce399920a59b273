import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse } from '../../src/pfile/parse.js';
import { host } from '../helpers/host.js';

const FILE = '/etc/pcheck/test.pfile';
const read = (text: string) => parse(text, FILE, host);
const only = (text: string) => {
  const result = read(text);
  expect(result.errors).toEqual([]);
  return result.config!;
};
const errorsOf = (text: string) => read(text).errors.map((error) => `${error.line}: ${error.message}`);

describe('global parameters', () => {
  it('defaults when absent', () => {
    expect(only('')).toMatchObject({ monitorInterval: 10, livenessInterval: 0.2, dumpFileName: null, logFile: 'default', entries: [] });
  });

  it('reads MonitorInterval, LivenessInterval, DumpFileName, LogFile; accepts MsgCheckInterval', () => {
    const config = only('MonitorInterval 5\nLivenessInterval 0.1\nDumpFileName /var/run/p.dump\nLogFile /var/log/p.json\nMsgCheckInterval 3\n');
    expect(config).toMatchObject({ monitorInterval: 5, livenessInterval: 0.1, dumpFileName: '/var/run/p.dump', logFile: '/var/log/p.json' });
  });

  it('LogFile none turns the structured log off; without LogFile it goes to the default place', () => {
    expect(only('LogFile none\n').logFile).toBe('none');
    expect(only('LogFile NONE\n').logFile).toBe('none');
    expect(only('MonitorInterval 5\n').logFile).toBe('default');
    expect(errorsOf('LogFile relative.json\n')).toEqual(['1: LogFile must be an absolute path (got "relative.json")']);
  });

  it('a keyword in another case is read with a warning', () => {
    const result = read('monitorinterval 7\n');
    expect(result.config?.monitorInterval).toBe(7);
    expect(result.warnings[0]).toMatchObject({ line: 1, message: expect.stringContaining('write it as MonitorInterval') });
  });

  it('a repeated keyword warns and the later value wins', () => {
    const result = read('MonitorInterval 5\nMonitorInterval 6\n');
    expect(result.config?.monitorInterval).toBe(6);
    expect(result.warnings[0]).toMatchObject({ line: 2, message: expect.stringContaining('already set on line 1') });
  });

  it('bad values are errors naming the line and the default', () => {
    expect(errorsOf('MonitorInterval 0\n')).toEqual([
      '1: MonitorInterval must be a number of seconds at least 1 and at most 2147483 s (about 24 days), written in decimal like 30 or 0.5 (got "0"); the default is 10',
    ]);
    expect(errorsOf('MonitorInterval\n')[0]).toMatch(/^1: MonitorInterval takes one value/);
    expect(errorsOf('DumpFileName relative.dump\n')).toEqual(['1: DumpFileName must be an absolute path (got "relative.dump")']);
    expect(errorsOf('MonitorInterval 2\nLivenessInterval 3\n')[0]).toMatch(/^2: LivenessInterval 3 s is longer than MonitorInterval 2 s/);
    expect(errorsOf('LivenessInterval 0.01\n')[0]).toMatch(/^1: LivenessInterval must be a number of seconds at least 0.05 and at most 2147483 s/);
  });

  it('an unknown keyword is named', () => {
    expect(errorsOf('Bogus 1\n')[0]).toMatch(/^1: unknown keyword "Bogus"; global keywords are MonitorInterval/);
  });
});

describe('process entries', () => {
  it('pname and restart_script alone take every default', () => {
    const [entry] = only('/usr/sbin/httpd /etc/pcheck/restart_httpd.sh\n').entries;
    expect(entry).toEqual({
      pentId: 1,
      line: 1,
      pname: '/usr/sbin/httpd',
      restartScript: '/etc/pcheck/restart_httpd.sh',
      retryCount: 3,
      grace: 86400,
      retryOverAction: 'continue',
      args: null,
      user: null,
      uid: null,
      pidfile: null,
      scriptTimeout: 300,
      startWait: 30,
      tlsVerify: false,
      tlsCa: null,
      limits: { maxRss: null, maxCpu: null, hold: 60, action: 'log' },
      stall: [],
    });
  });

  it('positional fields, - for defaults, any case for the action', () => {
    const entries = only('a /s/a 5 600 EXIT\nb /s/b - - Shutdown\nc /s/c 0\n').entries;
    expect(entries.map((entry) => [entry.pentId, entry.retryCount, entry.grace, entry.retryOverAction])).toEqual([
      [1, 5, 600, 'exit'],
      [2, 3, 86400, 'shutdown'],
      [3, 0, 86400, 'continue'],
    ]);
  });

  it('options: args text and /regex/, user by name or uid, pidfile, script_timeout, start_wait', () => {
    const entries = only(
      'java /s/t - - - args=org.apache.catalina.startup.Bootstrap user=tomcat script_timeout=60 start_wait=12.5\n' +
        'httpd /s/h args=/-k\\s+start$/i user=33 pidfile=/run/httpd.pid\n',
    ).entries;
    expect(entries[0]).toMatchObject({ args: { kind: 'text', text: 'org.apache.catalina.startup.Bootstrap' }, user: 'tomcat', uid: 91, scriptTimeout: 60, startWait: 12.5 });
    expect(entries[1]).toMatchObject({ args: { kind: 'regex', source: '-k\\s+start$', flags: 'i' }, user: '33', uid: 33, pidfile: '/run/httpd.pid' });
  });

  it('comments, double quotes with escapes, and continuation lines', () => {
    const entries = only(
      '# a comment\n' +
        'httpd /s/h 3 \\\n' +
        '   600 exit   # trailing comment\n' +
        'java /s/j args="-Dname=\\"my app\\" # not a comment" user=tomcat\n',
    ).entries;
    expect(entries[0]).toMatchObject({ line: 2, retryCount: 3, grace: 600, retryOverAction: 'exit' });
    expect(entries[1]).toMatchObject({ line: 4, args: { kind: 'text', text: '-Dname="my app" # not a comment' } });
  });

  it('a comment that ends in \\ does not swallow the next line', () => {
    const entries = only('# Windows paths end in C:\\\nhttpd /s/h\njava /s/j # then \\\nnginx /s/n\n').entries;
    expect(entries.map((entry) => [entry.pname, entry.line])).toEqual([
      ['httpd', 2],
      ['java', 3],
      ['nginx', 4],
    ]);
  });

  it('every error of every line is reported at once', () => {
    const errors = errorsOf('a /s/a x\nb relative\nc /s/c 1 2 explode\nd /missing/script\ne /noexec/script\nf /s/f bogus=1\n');
    expect(errors).toEqual([
      '1: retry_count must be a whole number from 0 to 1000000000, written in decimal digits (got "x"); write a number or - for the default 3',
      '2: restart_script must be an absolute path, or ./name beside the pfile (got "relative")',
      '3: retry_over_action must be continue, shutdown or exit (got "explode")',
      '4: restart_script /missing/script: no such file; it must be an executable file',
      '5: restart_script /noexec/script: not executable; it must be an executable file',
      '6: unknown option "bogus="; options are args=, user=, pidfile=, script_timeout=, start_wait=, tls_verify=, tls_ca=, max_rss=, max_cpu=, limit_hold=, limit_action=',
    ]);
  });

  it('more option and field errors', () => {
    expect(errorsOf('a /s/a 1 2 exit extra\n')[0]).toMatch(/too many fields: "extra"/);
    expect(errorsOf('a /s/a user=nosuchuser\n')[0]).toMatch(/user=nosuchuser: no such user on this machine/);
    expect(errorsOf('a /s/a pidfile=run/a.pid\n')[0]).toMatch(/pidfile must be an absolute path/);
    expect(errorsOf('a /s/a script_timeout=0\n')[0]).toMatch(/script_timeout must be a number of seconds above 0 and at most 2147483 s/);
    expect(errorsOf('a /s/a start_wait=soon\n')[0]).toMatch(/start_wait must be a number of seconds above 0 .* \(got "soon"\); the default is 30$/);
    expect(errorsOf('a /s/a args=/([/\n')[0]).toMatch(/args=\/\(\[\/ is not a valid regular expression/);
    expect(errorsOf('a /s/a grace=-\n')[0]).toMatch(/unknown option "grace="/);
    expect(errorsOf('a /s/a tls_verify=maybe\n')[0]).toMatch(/tls_verify must be yes or no/);
    expect(errorsOf('a /s/a tls_ca=/missing/ca.pem\n')[0]).toMatch(/tls_ca \/missing\/ca.pem: no such file/);
    expect(only('a /s/a tls_verify=yes tls_ca=/etc/ssl/ca.pem\n').entries[0]).toMatchObject({ tlsVerify: true, tlsCa: '/etc/ssl/ca.pem' });
    expect(errorsOf('usr/sbin/x /s/x\n')[0]).toMatch(/pname must be an absolute path or a bare name/);
    expect(errorsOf('a "/s/a\n')[0]).toMatch(/^1: unterminated double quote/);
  });

  it('a pfile of junk: the first 100 errors are listed, then how many more there were', () => {
    // 131072 unterminated quotes: a stack overflow when they were pushed as one spread
    const result = read('"\n'.repeat(131072));
    expect(result.config).toBeNull();
    expect(result.errors).toHaveLength(101);
    expect(result.errors[99]).toMatchObject({ line: 100, message: expect.stringMatching(/^unterminated double quote/) });
    expect(result.errors[100]).toMatchObject({ line: 101, message: '130972 more errors from here on are not listed (only the first 100 are)' });
    const warned = read('a:\n b\n'.repeat(150));
    expect(warned.errors).toHaveLength(101);
    expect(warned.warnings).toHaveLength(101);
    expect(warned.warnings[100]?.message).toBe('50 more warnings from here on are not listed (only the first 100 are)');
  });

  it('never throws, and every diagnostic names a line of the file', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), (text) => {
        const result = read(text);
        const lineCount = text.split(/\r\n?|\n/).length;
        for (const diagnostic of [...result.errors, ...result.warnings]) {
          expect(diagnostic.file).toBe(FILE);
          expect(diagnostic.line).toBeGreaterThanOrEqual(1);
          expect(diagnostic.line).toBeLessThanOrEqual(lineCount);
        }
        expect(result.config === null).toBe(result.errors.length > 0);
      }),
      { numRuns: 500 },
    );
  });
});
