// Out of descriptors (EMFILE): a read that cannot be made is never taken for a death or an absence.
import { describe, expect, it } from 'vitest';
import { Supervisor, type SupervisorDeps } from '../../src/daemon/supervisor.js';
import { createMemoryLog } from '../../src/log/message-log.js';
import { ProcUnreadable, type ProcInfo } from '../../src/system/proc.js';
import type { ScriptOptions, ScriptResult } from '../../src/system/script.js';
import { config, rule } from '../helpers/rules.js';

/** A process table behind a switch: while `exhausted`, every read that needs a new descriptor fails with EMFILE. */
function blindableOs(options: { descriptors: boolean } = { descriptors: true }) {
  const table = new Map<number, ProcInfo>();
  const log = createMemoryLog();
  const scripts: ((result: ScriptResult) => void)[] = [];
  let now = 0;
  let exhausted = false;
  let scriptRejects = false;
  const unreadable = () => {
    if (exhausted) throw new ProcUnreadable('EMFILE');
  };
  const deps: SupervisorDeps = {
    now: () => now,
    wallNow: () => Date.UTC(2026, 10, 25),
    scan: () => {
      unreadable();
      return [...table.values()];
    },
    watch: (pid, startTime) => {
      unreadable();
      if (table.get(pid)?.startTime !== startTime) return null;
      // an open descriptor keeps reading while exhausted; a handle without one (reading by path) cannot tell
      return { check: () => (!options.descriptors && exhausted ? 'unknown' : table.has(pid) ? 'alive' : 'gone'), close: () => undefined };
    },
    statOf: (pid) => {
      unreadable();
      return table.get(pid) ?? null;
    },
    readPidfile: () => null,
    runScript: (_path: string, _options: ScriptOptions) =>
      scriptRejects ? Promise.reject(new Error('spawn EMFILE')) : new Promise((resolve) => scripts.push(resolve)),
    probe: async () => ({ ok: true, detail: 'unused' }),
    kill: () => null,
    readCa: () => '',
    after: () => () => undefined,
    log: () => log,
    onFatalRetryOver: () => undefined,
  };
  return {
    deps,
    log,
    scripts,
    spawn: (pid: number) =>
      table.set(pid, { pid, comm: 'testd', state: 'S', ppid: 1, startTime: pid, exe: '/usr/sbin/testd', argv: ['/usr/sbin/testd'], uid: 0 }),
    kill: (pid: number) => table.delete(pid),
    exhaust: (on: boolean) => (exhausted = on),
    rejectScripts: () => (scriptRejects = true),
    advance: (ms: number) => (now += ms),
  };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));
const keys = (os: ReturnType<typeof blindableOs>) => os.log.entries().map((entry) => entry.key);

describe('supervisor out of descriptors', () => {
  it('a full check reads a process through its open descriptor while no new one can be had', () => {
    const os = blindableOs();
    os.spawn(100);
    const supervisor = new Supervisor(config([rule()]), os.deps);
    supervisor.fullCheck();
    os.exhaust(true);
    supervisor.fullCheck();
    expect(supervisor.views()?.[0]).toMatchObject({ pid: 100, proc_sts: 'AVAIL' });
    os.kill(100);
    supervisor.fullCheck();
    expect(keys(os)).toContain('down');
  });

  it('a full check that cannot read a live process (its handle has no descriptor) reports it UNKNOWN, not Down, and starts nothing', () => {
    const os = blindableOs({ descriptors: false });
    os.spawn(100);
    const supervisor = new Supervisor(config([rule()]), os.deps);
    supervisor.fullCheck();
    os.exhaust(true);
    supervisor.fullCheck();
    supervisor.fullCheck();
    expect(keys(os)).not.toContain('down');
    expect(os.scripts).toHaveLength(0);
    expect(supervisor.views()?.[0]).toMatchObject({ pid: 100, proc_sts: 'UNKNOWN' });
    expect(keys(os).filter((key) => key === 'procUnreadable')).toHaveLength(1);
    expect(os.log.entries().find((entry) => entry.key === 'procUnreadable')?.text).toMatch(/^Cannot read \/proc: EMFILE/);

    os.exhaust(false);
    supervisor.fullCheck();
    expect(supervisor.views()?.[0]).toMatchObject({ pid: 100, proc_sts: 'AVAIL' });
    expect(keys(os).at(-1)).toBe('procReadable');
  });

  it('a scan that cannot be made declares no entry missing (no Set pid fail, no second copy)', () => {
    const os = blindableOs();
    const supervisor = new Supervisor(config([rule()]), os.deps);
    os.exhaust(true);
    supervisor.fullCheck();
    os.advance(1000);
    supervisor.livenessTick();
    expect(keys(os)).toEqual(['procUnreadable']);
    expect(os.scripts).toHaveLength(0);
    expect(supervisor.views()?.[0]).toMatchObject({ proc_sts: 'UNKNOWN' });

    os.spawn(100);
    os.exhaust(false);
    supervisor.fullCheck();
    expect(keys(os)).toEqual(['procUnreadable', 'up', 'procReadable']);
  });

  it('a death seen through an open descriptor is still a death; a restart waiting for /proc waits', async () => {
    const os = blindableOs();
    os.spawn(100);
    const supervisor = new Supervisor(config([rule({ startWait: 1 })]), os.deps);
    supervisor.fullCheck();
    os.exhaust(true);
    os.kill(100);
    supervisor.livenessTick();
    expect(keys(os)).toContain('down');
    os.scripts[0]?.({ outcome: 'failed', status: 'spawn error: spawn EMFILE', endedBy: null, output: '', truncated: false });
    await flush();
    os.advance(5000);
    supervisor.fullCheck();
    // start_wait is over, but an unreadable /proc proves no absence: no Set pid fail yet
    expect(keys(os)).not.toContain('setPidFail');
    os.exhaust(false);
    supervisor.fullCheck();
    expect(keys(os)).toContain('setPidFail');
  });

  it('a restart script that cannot be spawned is a failed attempt, not an unhandled rejection', async () => {
    const os = blindableOs();
    os.rejectScripts();
    const supervisor = new Supervisor(config([rule({ startWait: 1 })]), os.deps);
    supervisor.fullCheck();
    await flush();
    expect(os.log.entries().find((entry) => entry.key === 'scriptFailed')?.text).toBe(
      "Restart script failed ('/usr/sbin/testd') spawn error: spawn EMFILE",
    );
    expect(supervisor.views()?.[0]).toMatchObject({ proc_sts: 'RESTART', restart_count: 1 });
  });
});
