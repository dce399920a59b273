// padmin's command line: commander's grammar as padmin used it, read by util.parseArgs.
import { describe, expect, it } from 'vitest';
import { padminHelp, parsePadminArgs } from '../../src/cli/padmin-args.js';

const run = (...args: string[]) => {
  const parsed = parsePadminArgs(args);
  if (parsed.kind !== 'run') throw new Error(`expected options, got ${JSON.stringify(parsed)}`);
  return parsed.options;
};
const usage = (...args: string[]): string => {
  const parsed = parsePadminArgs(args);
  if (parsed.kind !== 'usage') throw new Error(`expected a usage error, got ${JSON.stringify(parsed)}`);
  return parsed.message;
};

describe('parsePadminArgs', () => {
  it('-c takes every word up to the next option, wherever the options stand', () => {
    expect(run('-f', '/etc/p', '-c', 'show', 'pent')).toEqual({ file: '/etc/p', command: 'show pent', json: false });
    expect(run('-c', 'show', 'pent', '-p', '3', '-f', '/etc/p', '--json')).toEqual({ file: '/etc/p', command: 'show pent', pent: '3', json: true });
    expect(run('--command', 'test', 'alert', '--dest=ops', '--file=/etc/p')).toEqual({ file: '/etc/p', command: 'test alert', dest: 'ops', json: false });
    expect(run('-f/etc/p', '-cshutdown')).toMatchObject({ file: '/etc/p', command: 'shutdown' });
    // extra words are the command's: the unknown command is padmin's to refuse, naming them
    expect(run('-f', '/etc/p', '-c', 'show', 'pent', 'extra').command).toBe('show pent extra');
  });

  it('a repeated option keeps its last value; a repeated -c its last words', () => {
    expect(run('-f', '/a', '-f', '/b', '-c', 'stop').file).toBe('/b');
    expect(run('-f', '/a', '-c', 'stop', '-c', 'show', 'rule').command).toBe('show rule');
  });

  it('help and version win over everything else', () => {
    expect(parsePadminArgs(['--help'])).toEqual({ kind: 'help' });
    expect(parsePadminArgs(['-f', '/a', '-h'])).toEqual({ kind: 'help' });
    expect(parsePadminArgs(['-V'])).toEqual({ kind: 'version' });
    expect(parsePadminArgs(['--version', '-c', 'stop'])).toEqual({ kind: 'version' });
  });

  it('usage errors say which option and what to do', () => {
    expect(usage('-c', 'show', 'pent')).toMatch(/^-f, --file <pfile> is required/);
    expect(usage('-f', '/a')).toMatch(/^-c, --command <words\.\.\.> is required/);
    expect(usage('-f')).toBe('option -f, --file <pfile> needs a value');
    expect(usage('-f', '/a', '-c')).toBe('option -c, --command <words...> needs a value');
    expect(usage('-f', '-c', 'stop')).toMatch(/^option -f, --file <pfile> needs a value \(a value that starts with - is written --file=<value>\)/);
    expect(usage('-f', '/a', '-c', 'stop', '--bogus')).toBe('unknown option --bogus');
    expect(usage('-f', '/a', '-c', 'stop', '--json=yes')).toBe('option --json takes no value');
    expect(usage('-f', '/a', 'show', '-c', 'pent')).toMatch(/^unexpected argument "show"/);
  });

  it('a value that starts with a dash is given with =', () => {
    expect(run('--file=-odd', '-c', 'stop').file).toBe('-odd');
  });
});

describe('padminHelp', () => {
  it('lists every option and command', () => {
    const help = padminHelp(['show pent', 'stop']);
    for (const option of ['-f, --file <pfile>', '-c, --command <words...>', '-p, --pent <pent_id>', '-d, --dest <destination>', '--json', '-V, --version', '-h, --help']) {
      expect(help).toContain(option);
    }
    expect(help).toContain('one of: show pent, stop');
  });
});
