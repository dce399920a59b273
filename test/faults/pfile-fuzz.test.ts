// Property-based pfile fuzz (issue 8, "Also wanted"): any text up to the size limit is read without
// a throw, every diagnostic names the file and a line, and the real `pcheck -t` ends within 2 s with
// status 0 or 2 and never prints a stack trace.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lex } from '../../src/pfile/lexer.js';
import { parse } from '../../src/pfile/parse.js';
import { LIMITS } from '../../src/pfile/types.js';
import { PCHECK, sandbox, type Sandbox } from '../e2e/harness.js';
import { host } from '../helpers/host.js';

const FILE = '/etc/pcheck/fuzz.pfile';

// the pieces a pfile is made of, right and wrong
const number = fc.oneof(
  fc.nat({ max: 100_000 }).map(String),
  fc.tuple(fc.nat(1000), fc.nat(999)).map(([whole, fraction]) => `${whole}.${fraction}`),
  fc.constantFrom('0', '-', '', '010', '0x50', '1e3', '0b1010', '-5', '+5', '.5', '5.', 'Infinity', 'NaN', '2147483', '2147484', '2200000', '315360001', '9'.repeat(30)),
);
const word = fc.oneof(
  fc.string({ unit: 'grapheme-ascii', maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 8 }),
  fc.constantFrom('"a b"', '"x \\" y"', '"\\\\"', '"open', '#', 'a#b', '\\', ':', '{', '}', '_bi_', 'PS_EXEC'),
);
const globalLine = fc
  .tuple(
    fc.constantFrom('MonitorInterval', 'monitorinterval', 'LivenessInterval', 'MsgCheckInterval', 'DumpFileName', 'LogFile', 'Bogus'),
    fc.array(fc.oneof(number, word, fc.constantFrom('/var/run/p.dump', 'none', 'relative')), { maxLength: 2 }),
  )
  .map(([keyword, values]) => [keyword, ...values].join(' '));
const option = fc
  .tuple(
    fc.constantFrom('args', 'user', 'pidfile', 'script_timeout', 'start_wait', 'tls_verify', 'tls_ca', 'grace', 'bogus'),
    fc.oneof(number, word, fc.constantFrom('/re(/', '/-k\\s+start$/i', 'root', 'tomcat', '4294967295', 'yes', '/run/x.pid', '/missing/ca.pem')),
  )
  .map(([name, value]) => `${name}=${value}`);
const entryLine = fc
  .tuple(
    fc.oneof(fc.constantFrom('httpd', '/usr/sbin/httpd', 'java', 'rel/x', 'Bogus'), word),
    fc.constantFrom('/s/h', '/bin/true', '/missing/x', '/noexec/x', './restart.sh', 'relative', '-'),
    fc.array(fc.oneof(number, fc.constantFrom('continue', 'EXIT', 'shutdown', 'bogus')), { maxLength: 4 }),
    fc.array(option, { maxLength: 3 }),
  )
  .map(([pname, script, positional, options]) => [pname, script, ...positional, ...options].join(' '));
const psValue = fc
  .array(fc.oneof(number, fc.constantFrom('DLL', '/x.so', 'DIRECT', 'localhost', '/', '', '-', 'x y')), { maxLength: 12 })
  .map((parts) => parts.join(':'));
const psLine = fc
  .tuple(fc.constantFrom('PS_INIT', 'PS_EXEC', 'PS_ACTION', 'PS_QUIT', 'PS_BOGUS'), psValue)
  .map(([which, value]) => `${which} ${value}`);
// a block as the vendor writes one, with numbers right or wrong
const block = fc
  .tuple(
    fc.constantFrom('_bi_webserv {', '_bi_webservs{', '_bi_socket\n{', '_bi_websevr {', '_bi_websevs {', '_bi_unknown {'),
    fc.tuple(number, fc.constantFrom('0', '1', '', '7'), fc.array(fc.oneof(number, fc.constantFrom('localhost', '/', '/status')), { maxLength: 5 })),
    fc.constantFrom('0', '1', '01', ''),
    fc.boolean(),
  )
  .map(([open, [interval, error, argv], action, wrapped]) =>
    [
      open,
      '  PS_INIT DLL:/x.so:DIRECT:-:::0',
      `  PS_EXEC DLL:/x.so:DIRECT:-:${interval}:${error}:${wrapped ? '\n      ' : ''}${argv.length}:${argv.join(':')}`,
      `  PS_ACTION DLL:/x.so:DIRECT:-::${action}:0`,
      '  PS_QUIT DLL:/x.so:DIRECT:-:::0',
      '}',
    ].join('\n'),
  );
const noise = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.string({ unit: fc.constantFrom('\\', '"', '#', ':', ' ', '\t', 'a', '\u00a0', '\ud800'), maxLength: 30 }),
  fc.constantFrom('{', '}', '# a comment \\', '# wrapped:'),
  fc.nat({ max: 5000 }).map((length) => 'a'.repeat(length)),
);
const line = fc
  .tuple(
    fc.constantFrom('', '', '  ', '\t'),
    fc.oneof(globalLine, entryLine, block, psLine, noise),
    fc.constantFrom('', '', '', ' \\', ':', ' # note', '\\\\', ' "', '\ufeff'),
  )
  .map(([indent, body, end]) => `${indent}${body}${end}`);
const pfileText = fc
  .array(fc.tuple(line, fc.constantFrom('\n', '\n', '\r\n', '\r')), { maxLength: 40 })
  .map((lines) => lines.map(([text, end]) => text + end).join(''));

/** The text repeated and cut to `bytes` bytes of UTF-8 (possibly through a character: a fuzz input too). */
function grown(text: string, bytes: number): Buffer {
  const unit = Buffer.from(text.length > 0 ? text : '#\n', 'utf8');
  return Buffer.concat(Array.from({ length: Math.ceil(bytes / unit.length) }, () => unit)).subarray(0, bytes);
}

function checkRead(text: string): void {
  expect(() => lex(text, FILE)).not.toThrow();
  const result = parse(text, FILE, host);
  for (const diagnostic of [...result.errors, ...result.warnings]) {
    expect(diagnostic.file).toBe(FILE);
    expect(Number.isInteger(diagnostic.line) && diagnostic.line >= 0).toBe(true);
    expect(typeof diagnostic.message === 'string' && diagnostic.message.length > 0).toBe(true);
  }
  expect(result.errors.every((diagnostic) => diagnostic.severity === 'error')).toBe(true);
  expect(result.warnings.every((diagnostic) => diagnostic.severity === 'warning')).toBe(true);
  expect(result.config === null).toBe(result.errors.length > 0);
}

describe('parse() on generated pfiles', () => {
  it('never throws; every diagnostic names the file and a line; config is null exactly when there are errors', () => {
    fc.assert(fc.property(pfileText, checkRead), { numRuns: 400 });
  });

  it('the same up to the size limit', () => {
    fc.assert(
      fc.property(pfileText, fc.integer({ min: LIMITS.pfileBytes / 2, max: LIMITS.pfileBytes }), (text, bytes) => {
        checkRead(grown(text, bytes).toString('utf8'));
      }),
      { numRuns: 4 },
    );
  });
});

describe('pcheck -t on generated pfiles', () => {
  let box: Sandbox;
  let count = 0;
  beforeAll(() => {
    box = sandbox();
    box.script('restart.sh', 'exit 0');
  });
  afterAll(() => box.cleanup());

  /** Runs the real `pcheck -t` on `content`; the 2 s timeout is a hang guard. */
  function check(content: string | Buffer) {
    count += 1;
    const pfile = box.file(`pfile-${count}`, '');
    writeFileSync(pfile, content);
    const result = spawnSync(process.execPath, [PCHECK, '-t', '-f', pfile], { env: box.env, timeout: 2000, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    const context = `pfile ${pfile}, status ${result.status}, signal ${result.signal}:\n${result.stderr.slice(0, 2000)}`;
    expect(result.signal, `did not end within 2 s: ${context}`).toBeNull();
    expect([0, 2], context).toContain(result.status);
    expect(result.stderr, context).not.toMatch(/^\s+at /m);
    // every line on stderr is a diagnostic of this pfile: no Node error, no stack trace
    for (const printed of result.stderr.split('\n').filter((text) => text !== '')) {
      expect(printed, context).toMatch(new RegExp(`^${pfile}:\\d+: (error|warning): `));
    }
    if (result.status === 0) expect(result.stdout).toMatch(new RegExp(`^${pfile}: ok, \\d+ entr(y|ies)\\n$`));
    return result;
  }

  it('ends within 2 s, exits 0 or 2, prints only diagnostics', () => {
    fc.assert(
      fc.property(pfileText, fc.oneof(fc.constant(0), fc.integer({ min: 1, max: LIMITS.pfileBytes })), (text, bytes) => {
        check(bytes === 0 ? text : grown(text, bytes));
      }),
      { numRuns: 20 },
    );
  });

  it('the costliest texts found, at the size limit: many tiny lines, each an error, a warning or an entry', () => {
    for (const unit of ['}\n', '"\n', 'a:\n b\n', 'MonitorInterval\n', 'x \\\\\n', '/usr/sbin/httpd /bin/true\n', 'x \\\n']) {
      check(grown(unit, LIMITS.pfileBytes));
    }
  });

  it('a pfile of exactly the size limit is read; one byte more is refused with its size', () => {
    const entry = '/usr/sbin/httpd /bin/true 3 600 exit\n';
    const atLimit = `${entry}${'#'.repeat(LIMITS.pfileBytes - entry.length - 1)}\n`;
    expect(check(atLimit)).toMatchObject({ status: 0 });
    const over = check(`${atLimit}\n`);
    expect(over.status).toBe(2);
    expect(over.stderr).toMatch(/:0: error: the pfile is 262145 bytes, over the limit of 262144 bytes \(256 KiB\)/);
  });

  it('durations past the timer limit are refused with the limit named', () => {
    for (const text of ['MonitorInterval 2200000\n', '/usr/sbin/httpd /bin/true script_timeout=2200000\n']) {
      const result = check(text);
      expect(result.status).toBe(2);
      expect(result.stderr).toContain('at most 2147483 s (about 24 days)');
    }
  });
});
