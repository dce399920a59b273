import { describe, expect, it } from 'vitest';
import { parse } from '../../src/pfile/parse.js';
import { LIMITS } from '../../src/pfile/types.js';
import { host } from '../helpers/host.js';

const FILE = '/etc/pcheck/test.pfile';
const read = (text: string) => parse(text, FILE, host);
const block = (name: string, exec: string, action = 'DLL:/x.so:DIRECT:-::0:0') =>
  `httpd /s/h\n${name} {\n  PS_EXEC ${exec}\n  PS_ACTION ${action}\n}\n`;

interface Field {
  /** A pfile with the value in this field, everything else valid. */
  readonly text: (value: string) => string;
  /** The value as the Config holds it. */
  readonly read: (text: string) => number | boolean | undefined;
}

const entry = (text: string) => read(text).config?.entries[0];
const stall = (text: string) => entry(text)?.stall[0];

// every number in the pfile
const FIELDS: Record<string, Field> = {
  MonitorInterval: { text: (v) => `MonitorInterval ${v}\n`, read: (t) => read(t).config?.monitorInterval },
  LivenessInterval: { text: (v) => `MonitorInterval 2147483\nLivenessInterval ${v}\n`, read: (t) => read(t).config?.livenessInterval },
  retry_count: { text: (v) => `a /s/a ${v}\n`, read: (t) => entry(t)?.retryCount },
  grace: { text: (v) => `a /s/a - ${v}\n`, read: (t) => entry(t)?.grace },
  script_timeout: { text: (v) => `a /s/a script_timeout=${v}\n`, read: (t) => entry(t)?.scriptTimeout },
  start_wait: { text: (v) => `a /s/a start_wait=${v}\n`, read: (t) => entry(t)?.startWait },
  'PS_EXEC interval': { text: (v) => block('_bi_webserv', `DLL:/x.so:DIRECT:-:${v}:0:2:2147483:80`), read: (t) => stall(t)?.interval },
  'PS_EXEC retry-over time': { text: (v) => block('_bi_webserv', `DLL:/x.so:DIRECT:-:1:0:2:${v}:80`), read: (t) => stall(t)?.retryOverTime },
  'PS_EXEC port': { text: (v) => block('_bi_socket', `DLL:/x.so:DIRECT:-:60:0:2:600:${v}`), read: (t) => stall(t)?.port },
  'PS_EXEC timeout': { text: (v) => block('_bi_webservs', `DLL:/x.so:DIRECT:-:60:0:4:600:443:localhost:${v}`), read: (t) => stall(t)?.timeout ?? undefined },
  'PS_EXEC error': { text: (v) => block('_bi_socket', `DLL:/x.so:DIRECT:-:60:${v}:2:600:80`), read: (t) => stall(t)?.stopAfterDetect },
  'PS_ACTION error': { text: (v) => block('_bi_socket', 'DLL:/x.so:DIRECT:-:60:0:2:600:80', `DLL:/x.so:DIRECT:-::${v}:0`), read: (t) => stall(t)?.actionOnKillFail },
};

/** The one error of `text`; it must name the field and the value written (`got`, as quoted). */
function oneError(name: string, text: string, written: string, got = `"${written}"`): string {
  const errors = read(text).errors;
  expect(errors, `${name} ${written}`).toHaveLength(1);
  const message = errors[0]?.message ?? '';
  expect(message).toContain(`${name} `);
  expect(message).toContain(`(got ${got})`);
  return message;
}

describe('one decimal grammar for every number', () => {
  // none of these is a decimal number as the pfile writes one ("" and " 80" are quoted fields)
  const refused = ['0x50', '0X1F', '1e3', '1E2', '0b1010', '0o17', '-5', '+5', 'Infinity', 'NaN', '1_000', '.5', '5.', '" 80"', '"80 "', '１０'];
  for (const [name, field] of Object.entries(FIELDS)) {
    it(`${name}: hex, exponent, binary, octal prefix, sign, Infinity, NaN, blanks are refused with the accepted form`, () => {
      for (const value of refused) {
        const written = value.replace(/"/g, '');
        const message = oneError(name, field.text(value), written);
        expect(message).toMatch(/written in decimal|must be 0 or 1/);
      }
    });
  }

  it('010 is ten, not eight', () => {
    for (const name of ['MonitorInterval', 'retry_count', 'grace', 'script_timeout', 'start_wait', 'PS_EXEC retry-over time', 'PS_EXEC port', 'PS_EXEC timeout']) {
      const field = FIELDS[name] as Field;
      expect(read(field.text('010')).errors, name).toEqual([]);
      expect(field.read(field.text('010')), name).toBe(10);
    }
    expect(FIELDS['PS_EXEC error']?.read(FIELDS['PS_EXEC error'].text('01'))).toBe(true);
  });

  it('seconds take a decimal fraction; whole numbers do not', () => {
    for (const name of ['MonitorInterval', 'script_timeout', 'start_wait', 'PS_EXEC interval', 'PS_EXEC retry-over time', 'PS_EXEC timeout']) {
      const field = FIELDS[name] as Field;
      expect(field.read(field.text('2.5')), name).toBe(2.5);
    }
    expect(FIELDS.LivenessInterval?.read(FIELDS.LivenessInterval.text('0.05'))).toBe(0.05);
    for (const name of ['retry_count', 'grace', 'PS_EXEC port', 'PS_EXEC error', 'PS_ACTION error']) {
      expect(oneError(name, (FIELDS[name] as Field).text('1.5'), '1.5'), name).toBeTruthy();
    }
  });

  it('an empty value is refused where there is no default to fall back on', () => {
    expect(oneError('MonitorInterval', 'MonitorInterval ""\n', '')).toMatch(/^MonitorInterval must be a number of seconds/);
    expect(oneError('script_timeout', 'a /s/a script_timeout=\n', '')).toMatch(/^script_timeout must be a number of seconds/);
    expect(oneError('PS_EXEC port', FIELDS['PS_EXEC port']!.text('""'), '')).toMatch(/^PS_EXEC port \(argv\[1\]\) must be a whole number from 1 to 65535/);
  });

  it('a numeric user= is a uid up to 4294967294', () => {
    expect(entry('a /s/a user=4294967294\n')?.uid).toBe(4294967294);
    expect(read('a /s/a user=4294967295\n').errors[0]?.message).toMatch(/whole number from 0 to 4294967294.*\(got "4294967295"\); write a user name or a uid/);
  });

  it('a long value is quoted cut, with its length', () => {
    oneError('retry_count', `a /s/a ${'9'.repeat(500)}x\n`, '', `"${'9'.repeat(80)}..." (501 characters)`);
  });
});

describe('upper limits', () => {
  const timer = ['MonitorInterval', 'LivenessInterval', 'script_timeout', 'start_wait', 'PS_EXEC interval', 'PS_EXEC retry-over time', 'PS_EXEC timeout'];
  it('every timer duration is accepted up to 2147483 s, refused beyond with the limit named', () => {
    expect(LIMITS.timerSeconds).toBe(2147483);
    for (const name of timer) {
      const field = FIELDS[name] as Field;
      expect(read(field.text('2147483')).errors, name).toEqual([]);
      expect(field.read(field.text('2147483')), name).toBe(2147483);
      for (const over of ['2147484', '2147483.5', '2200000', '9'.repeat(400)]) {
        const got = over.length > 200 ? `"${over.slice(0, 80)}..." (${over.length} characters)` : `"${over}"`;
        const message = oneError(name, field.text(over), over, got);
        expect(message).toContain('at most 2147483 s (about 24 days)');
      }
    }
  });

  it('script_timeout=2200000 and MonitorInterval 2200000 are refused (they fired at once)', () => {
    expect(read('a /s/a script_timeout=2200000\n').config).toBeNull();
    expect(read('MonitorInterval 2200000\n').config).toBeNull();
  });

  it('grace is a window, not a timer: up to 10 years', () => {
    expect(entry('a /s/a - 315360000\n')?.grace).toBe(315360000);
    expect(oneError('grace', 'a /s/a - 315360001\n', '315360001')).toContain('from 0 to 315360000 (about 10 years)');
  });

  it('retry_count up to 1000000000, a port up to 65535', () => {
    expect(entry('a /s/a 1000000000\n')?.retryCount).toBe(1000000000);
    expect(oneError('retry_count', 'a /s/a 1000000001\n', '1000000001')).toContain('from 0 to 1000000000');
    expect(FIELDS['PS_EXEC port']?.read(FIELDS['PS_EXEC port'].text('65535'))).toBe(65535);
    expect(oneError('PS_EXEC port', FIELDS['PS_EXEC port']!.text('65536'), '65536')).toContain('from 1 to 65535');
    expect(oneError('PS_EXEC port', FIELDS['PS_EXEC port']!.text('0'), '0')).toContain('from 1 to 65535');
  });
});
