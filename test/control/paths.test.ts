import { describe, expect, it } from 'vitest';
import { logFilePath } from '../../src/control/paths.js';

describe('logFilePath', () => {
  it('LogFile <path> is used as written; LogFile none means no structured log', () => {
    expect(logFilePath('/var/log/web.json', '/etc/pcheck/web.pfile', {}, 0)).toBe('/var/log/web.json');
    expect(logFilePath('none', '/etc/pcheck/web.pfile', {}, 0)).toBeNull();
  });

  it('by default: one file per pfile, named from its whole path, so two pfiles named pfile never share one', () => {
    expect(logFilePath('default', '/etc/pcheck/apache/pfile', {}, 0)).toBe('/var/log/pcheck/etc_pcheck_apache_pfile.log');
    expect(logFilePath('default', '/etc/pcheck/tomcat/pfile', {}, 0)).toBe('/var/log/pcheck/etc_pcheck_tomcat_pfile.log');
    expect(logFilePath('default', '/home/op/my pfile', { HOME: '/home/op' }, 1000)).toBe('/home/op/.local/state/pcheck/home_op_my_pfile.log');
    expect(logFilePath('default', '/p', { XDG_STATE_HOME: '/x', HOME: '/home/op' }, 1000)).toBe('/x/pcheck/p.log');
    expect(logFilePath('default', '/p', { PCHECK_LOG_DIR: '/tmp/logs' }, 0)).toBe('/tmp/logs/p.log');
  });

  it('a very long pfile path gives a bounded, still distinct name', () => {
    const deep = (leaf: string) => `/${'d'.repeat(250)}/${leaf}`;
    const a = logFilePath('default', deep('a'), {}, 0) ?? '';
    const b = logFilePath('default', deep('b'), {}, 0) ?? '';
    expect(a).not.toBe(b);
    expect(a.split('/').at(-1)?.length).toBeLessThanOrEqual(255);
  });
});
