import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from '../../src/pfile/parse.js';
import { host } from '../helpers/host.js';

const FILE = '/etc/pcheck/test.pfile';
const read = (text: string) => parse(text, FILE, host);
const sample = (name: string) => readFileSync(new URL(`../../templates/samples/${name}`, import.meta.url), 'utf8');

const block = (name: string, exec: string, action = 'DLL:/x.so:DIRECT:-::1:0') =>
  `httpd /s/h\n${name} {\n  PS_INIT DLL:/x.so:DIRECT:-:::0\n  PS_EXEC ${exec}\n  PS_ACTION ${action}\n  PS_QUIT DLL:/x.so:DIRECT:-:::0\n}\n`;

describe("the vendor guide's three samples, as printed", () => {
  const cases = [
    ['pfile_sample1', { kind: 'web', blockName: '_bi_webserv', interval: 60, stopAfterDetect: false, retryOverTime: 600, port: 8080, host: null, timeout: null, path: '/', actionOnKillFail: true }],
    ['pfile_sample3', { kind: 'ssl', blockName: '_bi_webservs', interval: 60, stopAfterDetect: false, retryOverTime: 600, port: 433, host: 'localhost', timeout: 5, path: '/', actionOnKillFail: true }],
    ['pfile_sample2', { kind: 'skt', blockName: '_bi_socket', interval: 60, stopAfterDetect: false, retryOverTime: 600, port: 8080, host: null, timeout: null, path: '/', actionOnKillFail: true }],
  ] as const;
  for (const [name, expected] of cases) {
    it(`${name} is accepted with exactly the values of SPEC §2.3`, () => {
      const result = parse(sample(name), `/work/templates/samples/${name}`, host);
      expect(result.errors).toEqual([]);
      expect(result.config?.entries[0]?.stall).toEqual([{ ...expected, line: expect.any(Number) }]);
    });
  }

  it('each wrapped line is joined with a warning naming it', () => {
    const one = parse(sample('pfile_sample1'), FILE, host);
    expect(one.warnings.filter((warning) => warning.message.includes('joined'))).toHaveLength(1);
    const three = parse(sample('pfile_sample3'), FILE, host);
    // the wrapped comment line before the block
    expect(three.warnings.filter((warning) => warning.message.includes('joined'))).toHaveLength(1);
    const text = sample('pfile_sample3').split('\n');
    const joinedLine = three.warnings.find((warning) => warning.message.includes('joined'))?.line ?? 0;
    expect(text[joinedLine - 1]).toMatch(/^\s+<duration>:<port>/);
  });

  it('lines that do not read positionally are read leniently, with a warning', () => {
    const result = parse(sample('pfile_sample1'), FILE, host);
    expect(result.warnings.some((warning) => /PS_ACTION .* read as argc=0, error=1/.test(warning.message))).toBe(true);
  });
});

describe('_bi_* blocks', () => {
  it('{ on the next line, glued to the name, or after a blank', () => {
    const next = read('httpd /s/h\n_bi_socket\n{\n PS_EXEC DLL:/x.so:DIRECT:-:10:0:2:30:22\n}\n');
    expect(next.errors).toEqual([]);
    expect(next.config?.entries[0]?.stall[0]).toMatchObject({ kind: 'skt', interval: 10, retryOverTime: 30, port: 22 });
    expect(read('httpd /s/h\n_bi_socket{\n PS_EXEC DLL:/x.so:DIRECT:-:10:0:2:30:22\n}\n').errors).toEqual([]);
  });

  it('the prose spellings _bi_websevr and _bi_websevs are accepted with a warning', () => {
    const result = read(block('_bi_websevr', 'DLL:/x.so:DIRECT:-:60:0:2:600:80'));
    expect(result.config?.entries[0]?.stall[0]?.kind).toBe('web');
    expect(result.warnings.some((warning) => warning.message.includes('read as _bi_webserv'))).toBe(true);
    expect(read(block('_bi_websevs', 'DLL:/x.so:DIRECT:-:60:0:2:600:443')).config?.entries[0]?.stall[0]?.kind).toBe('ssl');
  });

  it('EXEC error 1 stops stall monitoring after a detection; host argv[2]', () => {
    const stall = read(block('_bi_webserv', 'DLL:/x.so:DIRECT:-:30:1:3:120:8080:www.example.com')).config?.entries[0]?.stall[0];
    expect(stall).toMatchObject({ interval: 30, stopAfterDetect: true, retryOverTime: 120, port: 8080, host: 'www.example.com' });
  });

  it('an interval under 10 s is a warning, not an error', () => {
    const result = read(block('_bi_webserv', 'DLL:/x.so:DIRECT:-:2:0:2:6:8080'));
    expect(result.errors).toEqual([]);
    expect(result.warnings.some((warning) => warning.message.includes('below the 10 s'))).toBe(true);
    const fraction = read(block('_bi_socket', 'DLL:/x.so:DIRECT:-:0.5:0:2:2:8080'));
    expect(fraction.errors).toEqual([]);
    expect(fraction.config?.entries[0]?.stall[0]).toMatchObject({ interval: 0.5, retryOverTime: 2 });
  });

  it('a bad interval is one error, not a second one about the retry-over time', () => {
    for (const interval of ['0', '-5', 'soon']) {
      const errors = read(block('_bi_webserv', `DLL:/x.so:DIRECT:-:${interval}:0:2:5:8080`)).errors.map((error) => error.message);
      expect(errors).toEqual([
        `PS_EXEC interval must be a number of seconds above 0 and at most 2147483 s (about 24 days), written in decimal like 30 or 0.5 (got "${interval}"); write a number or - for the default 60`,
      ]);
    }
  });

  it('errors: before any entry, not closed, retry-over under the interval, bad port, no PS_EXEC, duplicates', () => {
    expect(read('_bi_socket {\n PS_EXEC DLL:/x.so:DIRECT:-:10:0:2:30:22\n}\n').errors[0]?.message).toMatch(/before any process entry/);
    expect(read('httpd /s/h\n_bi_socket {\n PS_EXEC DLL:/x.so:DIRECT:-:10:0:2:30:22\n').errors[0]?.message).toMatch(/not closed/);
    expect(read(block('_bi_webserv', 'DLL:/x.so:DIRECT:-:60:0:2:30:8080')).errors[0]?.message).toMatch(/shorter than the interval/);
    expect(read(block('_bi_webserv', 'DLL:/x.so:DIRECT:-:60:0:2:600:99999')).errors[0]?.message).toMatch(/port \(argv\[1\]\) must be a whole number from 1 to 65535, written in decimal digits \(got "99999"\)/);
    expect(read('httpd /s/h\n_bi_socket {\n PS_INIT DLL:/x.so:DIRECT:-:::0\n}\n').errors[0]?.message).toMatch(/has no PS_EXEC line/);
    const twice = `${block('_bi_socket', 'DLL:/x.so:DIRECT:-:10:0:2:30:22')}${block('_bi_socket', 'DLL:/x.so:DIRECT:-:10:0:2:30:22').split('\n').slice(1).join('\n')}`;
    expect(read(twice).errors[0]?.message).toMatch(/a second _bi_socket block/);
    expect(read(block('_bi_webserv', 'DLL:/x.so:DIRECT:-:60:7:2:600:80')).errors[0]?.message).toMatch(/PS_EXEC error must be 0 or 1/);
    expect(read(block('_bi_socket', 'DLL:/x.so:DIRECT:-:60:0:3:600:80:host')).errors[0]?.message).toMatch(/cannot be read/);
    expect(read('httpd /s/h\n_bi_unknown {\n}\n').errors[0]?.message).toMatch(/unknown stall block "_bi_unknown"/);
    expect(read('httpd /s/h\nPS_EXEC x\n').errors[0]?.message).toMatch(/outside a _bi_\* block/);
  });

  it('a block under an entry with errors is checked but attached to nothing', () => {
    const result = read(`good /s/g\nbad relative\n_bi_socket {\n PS_EXEC DLL:/x.so:DIRECT:-:10:0:2:30:22\n}\n`);
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]?.line).toBe(2);
  });

  it('two blocks of different kinds on one entry', () => {
    const text = `${block('_bi_webserv', 'DLL:/x.so:DIRECT:-:60:0:2:600:80')}${block('_bi_socket', 'DLL:/x.so:DIRECT:-:60:0:2:600:22').split('\n').slice(1).join('\n')}`;
    expect(read(text).config?.entries[0]?.stall.map((stall) => stall.kind)).toEqual(['web', 'skt']);
  });
});
