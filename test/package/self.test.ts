// The pieces of the single executable that need no binary: which program a name asks for, and the
// NODE_OPTIONS round trip of the daemon's re-exec (its SEA side runs for real in sea.test.ts).
import { describe, expect, it } from 'vitest';
import { programName } from '../../src/cli/dispatch.js';
import { restoreNodeOptions, selfCommand, singleExecutable } from '../../src/cli/self.js';

describe('programName', () => {
  it('is padmin for a name whose file name is padmin, pcheck otherwise', () => {
    expect(programName(['/usr/sbin/pcheck', 'padmin'])).toBe('padmin');
    expect(programName(['/usr/sbin/pcheck', '/opt/HA/PS/bin/padmin'])).toBe('padmin');
    expect(programName(['/usr/sbin/pcheck', './padmin'])).toBe('padmin');
    expect(programName(['/usr/sbin/pcheck', '/usr/sbin/pcheck'])).toBe('pcheck');
    expect(programName(['/usr/sbin/pcheck', 'padmin.old'])).toBe('pcheck');
    expect(programName(['/usr/sbin/pcheck'])).toBe('pcheck');
  });
});

describe('selfCommand outside a single executable', () => {
  it('is node with the daemon flag, its own flags and the script, and leaves the environment alone', () => {
    expect(singleExecutable).toBe(false);
    const env = { NODE_OPTIONS: '--no-deprecation' };
    const self = selfCommand(['--daemon-child', '-f', '/p'], env);
    expect(self.file).toBe(process.execPath);
    expect(self.args.slice(0, 1)).toEqual(['--max-semi-space-size=1']);
    expect(self.args.slice(-4)).toEqual([process.argv[1], '--daemon-child', '-f', '/p']);
    expect(self.env).toBe(env);
  });
});

describe('restoreNodeOptions', () => {
  it('puts back the value the caller had', () => {
    const env: NodeJS.ProcessEnv = { NODE_OPTIONS: '--no-deprecation --max-semi-space-size=1', PCHECK_SAVED_NODE_OPTIONS: '"--no-deprecation"' };
    restoreNodeOptions(env);
    expect(env).toEqual({ NODE_OPTIONS: '--no-deprecation' });
  });

  it('removes NODE_OPTIONS when the caller had none', () => {
    const env: NodeJS.ProcessEnv = { NODE_OPTIONS: '--max-semi-space-size=1', PCHECK_SAVED_NODE_OPTIONS: 'null', PATH: '/bin' };
    restoreNodeOptions(env);
    expect(env).toEqual({ PATH: '/bin' });
  });

  it('changes nothing when nothing was saved', () => {
    const env: NodeJS.ProcessEnv = { NODE_OPTIONS: '--no-deprecation' };
    restoreNodeOptions(env);
    expect(env).toEqual({ NODE_OPTIONS: '--no-deprecation' });
  });
});
