import { linkSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { logFilePath, otherRunDirs, realPfile, runPaths } from '../../src/control/paths.js';

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

describe('runPaths', () => {
  it('every spelling of one file gets the same socket; a hard link shares the inode lock', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pcheck-paths-'));
    try {
      const pfile = join(dir, 'pfile');
      writeFileSync(pfile, '');
      symlinkSync(pfile, join(dir, 'link'));
      linkSync(pfile, join(dir, 'hard'));
      const direct = runPaths(pfile, '/run/x');
      expect(runPaths(join(dir, 'link'), '/run/x')).toEqual(direct);
      expect(runPaths(join(dir, 'sub/../pfile'), '/run/x')).toEqual(direct);
      expect(direct.lockIds).toHaveLength(2);
      const hard = runPaths(join(dir, 'hard'), '/run/x');
      expect(hard.socket).not.toBe(direct.socket);
      expect(hard.lockIds[1]).toBe(direct.lockIds[1]);
      // deleted: named by the path as given, so padmin still finds the pcheck started on it
      rmSync(pfile);
      expect(realPfile(pfile)).toBe(pfile);
      expect(runPaths(pfile, '/run/x').socket).toBe(direct.socket);
      expect(runPaths(pfile, '/run/x').lockIds).toEqual(direct.lockIds.slice(0, 1));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('otherRunDirs', () => {
  it("root's run directory, for a user other than root who did not choose one", () => {
    expect(otherRunDirs({}, 1000)).toEqual(['/run/pcheck']);
    expect(otherRunDirs({ PCHECK_ROOT_RUN_DIR: '/tmp/r' }, 1000)).toEqual(['/tmp/r']);
    expect(otherRunDirs({}, 0)).toEqual([]);
    expect(otherRunDirs({ PCHECK_RUN_DIR: '/tmp/mine' }, 1000)).toEqual([]);
  });
});
