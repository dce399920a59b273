import { describe, expect, it } from 'vitest';
import { parse } from '../../src/pfile/parse.js';
import { host } from '../helpers/host.js';

const FILE = '/etc/pcheck/test.pfile';
const read = (text: string) => parse(text, FILE, host);
const limitsOf = (options: string) => {
  const result = read(`/usr/sbin/testd /s/r 3 60 continue ${options}\n`);
  expect(result.errors).toEqual([]);
  return result.config?.entries[0]?.limits;
};
const errorsOf = (options: string) => read(`/usr/sbin/testd /s/r ${options}\n`).errors.map((error) => error.message);

describe('resource limit options', () => {
  it('none by default: hold 60 s, action log', () => {
    expect(limitsOf('')).toEqual({ maxRss: null, maxCpu: null, hold: 60, action: 'log' });
  });

  it('max_rss takes K, M, G (1K = 1024 bytes), a fraction with a unit, or whole bytes', () => {
    expect(limitsOf('max_rss=512M')?.maxRss).toBe(512 * 1024 ** 2);
    expect(limitsOf('max_rss=1.5G')?.maxRss).toBe(1.5 * 1024 ** 3);
    expect(limitsOf('max_rss=64K')?.maxRss).toBe(65536);
    expect(limitsOf('max_rss=100000')?.maxRss).toBe(100000);
  });

  it('max_cpu is a percentage of one core, above 100 for more than one core', () => {
    expect(limitsOf('max_cpu=90')?.maxCpu).toBe(90);
    expect(limitsOf('max_cpu=250.5')?.maxCpu).toBe(250.5);
  });

  it('limit_hold and limit_action', () => {
    expect(limitsOf('max_cpu=90 limit_hold=0.5 limit_action=restart')).toEqual({ maxRss: null, maxCpu: 90, hold: 0.5, action: 'restart' });
    expect(limitsOf('max_cpu=90 limit_hold=0')?.hold).toBe(0);
  });

  it('names each bad value', () => {
    for (const bad of ['max_rss=0', 'max_rss=1.5', 'max_rss=12T', 'max_rss=-1M', 'max_rss=1e9', 'max_rss=2000000G', 'max_rss=']) {
      expect(errorsOf(bad), bad).toEqual([expect.stringMatching(/^max_rss must be a size above 0 .*\(got "/)]);
    }
    for (const bad of ['max_cpu=0', 'max_cpu=-5', 'max_cpu=50%', 'max_cpu=100001', 'max_cpu=.5']) {
      expect(errorsOf(bad), bad).toEqual([expect.stringMatching(/^max_cpu must be a percentage of one core above 0 .*\(got "/)]);
    }
    expect(errorsOf('max_cpu=9 limit_hold=-1')).toEqual([expect.stringMatching(/^limit_hold must be a number of seconds at least 0 .*the default is 60$/)]);
    expect(errorsOf('max_cpu=9 limit_action=kill')).toEqual(['limit_action must be log or restart (got "kill")']);
  });

  it('warns when limit_hold or limit_action come without a limit', () => {
    const result = read('/usr/sbin/testd /s/r limit_action=restart\n');
    expect(result.errors).toEqual([]);
    expect(result.warnings.map((warning) => warning.message)).toEqual(['limit_hold= and limit_action= do nothing without max_rss= or max_cpu=']);
  });

  it('UsageInterval: seconds, default 5', () => {
    expect(read('').config?.usageInterval).toBe(5);
    expect(read('UsageInterval 0.5\n').config?.usageInterval).toBe(0.5);
    expect(read('UsageInterval 0\n').errors.map((error) => error.message)).toEqual([expect.stringMatching(/^UsageInterval must be a number of seconds at least 0.1/)]);
  });
});
