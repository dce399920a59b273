import { describe, expect, it } from 'vitest';
import { DISCOVERY_COALESCE_MS, Supervisor, type SupervisorDeps } from '../../src/daemon/supervisor.js';
import { createMemoryLog } from '../../src/log/message-log.js';
import type { ProcInfo } from '../../src/system/proc.js';
import type { ScriptResult } from '../../src/system/script.js';
import { FakeClock } from '../helpers/clock.js';
import { config, rule } from '../helpers/rules.js';

/** A recording fake of the OS: a process table the test edits, scripts the test finishes. */
function fakeOs() {
  const table = new Map<number, ProcInfo>();
  const scripts: { path: string; env: Record<string, string>; finish: (result: ScriptResult) => void }[] = [];
  const probes: { kind: string; port: number; answer: (ok: boolean) => void }[] = [];
  const kills: number[] = [];
  let killError: string | null = null;
  const fatal: string[] = [];
  const clock = new FakeClock();
  let wall = Date.UTC(2026, 10, 22, 3, 0, 0);
  const log = createMemoryLog();
  const deps: SupervisorDeps = {
    now: clock.now,
    wallNow: () => wall,
    scan: () => [...table.values()],
    watch: (pid, startTime) => {
      if (table.get(pid)?.startTime !== startTime) return null;
      return {
        check: () => {
          const current = table.get(pid);
          if (current === undefined || current.startTime !== startTime) return 'gone';
          return current.state === 'Z' ? 'zombie' : 'alive';
        },
        close: () => undefined,
      };
    },
    statOf: (pid) => table.get(pid) ?? null,
    readPidfile: () => null,
    runScript: (path, options) =>
      new Promise((resolve) => scripts.push({ path, env: { ...options.env }, finish: resolve })),
    probe: (kind, target) =>
      new Promise((resolve) =>
        probes.push({ kind, port: target.port, answer: (ok) => resolve(ok ? { ok: true, detail: 'HTTP/1.1 200' } : { ok: false, error: 'timeout' }) }),
      ),
    kill: (pid) => {
      kills.push(pid);
      return killError;
    },
    readCa: () => '',
    after: clock.after,
    log: () => log,
    onFatalRetryOver: (action) => fatal.push(action),
  };
  return {
    deps,
    table,
    probes,
    kills,
    runFor: clock.runFor,
    failKills: (error: string) => (killError = error),
    scripts,
    fatal,
    log,
    advance: clock.advance,
    jumpWallClock: (ms: number) => (wall += ms),
    spawn: (pid: number, startTime = pid, name = '/usr/sbin/testd') =>
      table.set(pid, { pid, comm: 'testd', state: 'S', ppid: 1, startTime, exe: name, argv: [name], uid: 0 }),
  };
}

const ok: ScriptResult = { outcome: 'ok', status: 'exit=0', endedBy: null, output: '', truncated: false };
const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('supervisor', () => {
  it('finds the process at start, notices its death on the next liveness tick, restarts it', async () => {
    const os = fakeOs();
    os.spawn(100);
    const supervisor = new Supervisor(config([rule()]), os.deps);
    supervisor.fullCheck();
    expect(supervisor.views()?.[0]).toMatchObject({ pid: 100, proc_sts: 'AVAIL' });

    os.table.delete(100);
    os.advance(200);
    supervisor.livenessTick();
    expect(os.log.texts()).toContain("Process ['/usr/sbin/testd',pid=100] Down");
    expect(os.scripts).toHaveLength(1);
    expect(os.scripts[0]?.env).toMatchObject({ PS_OLD_PID: '100', PS_REASON: 'down', PS_RETRY_COUNT: '1', PS_PENT_ID: '1', PS_PNAME: '/usr/sbin/testd' });
    expect(supervisor.views()?.[0]).toMatchObject({ pid: null, proc_sts: 'RESTART', restart_count: 1, retry_count: 1 });

    os.spawn(101);
    os.scripts[0]?.finish(ok);
    await flush();
    // discovery follows the script by the coalescing window
    expect(supervisor.views()?.[0]).toMatchObject({ pid: null, proc_sts: 'RESTART' });
    os.runFor(DISCOVERY_COALESCE_MS);
    expect(supervisor.views()?.[0]).toMatchObject({ pid: 101, proc_sts: 'AVAIL', rerun_time: expect.stringMatching(/^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d$/) });
    expect(os.log.texts().at(-1)).toBe("('/usr/sbin/testd' ,pid=101) Up");
  });

  it('a reused pid is a death, told apart from a plain one', () => {
    const os = fakeOs();
    os.spawn(100, 5);
    const supervisor = new Supervisor(config([rule()]), os.deps);
    supervisor.fullCheck();
    os.spawn(100, 9, '/usr/bin/other');
    supervisor.livenessTick();
    expect(os.log.entries().find((entry) => entry.key === 'down')?.fields).toMatchObject({ pid: 100, reason: 'reused' });
  });

  it('a wall-clock jump changes neither the retry window nor the start_wait deadline', async () => {
    const os = fakeOs();
    const supervisor = new Supervisor(config([rule({ retryCount: 1, grace: 60, startWait: 30 })]), os.deps);
    supervisor.fullCheck();
    expect(os.scripts).toHaveLength(1);
    os.scripts[0]?.finish(ok);
    await flush();
    os.jumpWallClock(10 * 86_400_000);
    os.advance(1000);
    supervisor.livenessTick();
    expect(supervisor.views()?.[0]).toMatchObject({ proc_sts: 'RESTART', retry_count: 1 });
  });

  it('retry over with exit is reported to the daemon', async () => {
    const os = fakeOs();
    const supervisor = new Supervisor(config([rule({ retryCount: 1, retryOverAction: 'exit', startWait: 1 })]), os.deps);
    supervisor.fullCheck();
    os.scripts[0]?.finish(ok);
    await flush();
    os.advance(1500);
    supervisor.livenessTick();
    expect(os.fatal).toEqual(['exit']);
    expect(supervisor.views()?.[0]).toMatchObject({ proc_sts: 'UNAVAIL', monitor_sts: 'off' });
  });

  it('reload keeps unchanged entries with their pid and counters, adds and removes the rest', () => {
    const os = fakeOs();
    os.spawn(100);
    os.spawn(200, 200, '/usr/sbin/other');
    const kept = rule({ pentId: 1 });
    const supervisor = new Supervisor(config([kept, rule({ pentId: 2, pname: '/usr/sbin/gone' })]), os.deps);
    supervisor.fullCheck();
    const counts = supervisor.reload(config([rule({ pentId: 1, pname: '/usr/sbin/other' }), { ...kept, pentId: 2, line: 7 }]));
    expect(counts).toEqual({ kept: 1, added: 1, removed: 1 });
    expect(supervisor.views()?.map((view) => [view.pent_id, view.pname, view.pid])).toEqual([
      [1, '/usr/sbin/other', 200],
      [2, '/usr/sbin/testd', 100],
    ]);
  });

  it('stop pauses one entry: its death goes unnoticed until start', () => {
    const os = fakeOs();
    os.spawn(100);
    const supervisor = new Supervisor(config([rule()]), os.deps);
    supervisor.fullCheck();
    expect(supervisor.setMonitoring(false, 1)).toBe(true);
    expect(supervisor.setMonitoring(false, 9)).toBe(false);
    os.table.delete(100);
    supervisor.livenessTick();
    supervisor.fullCheck();
    expect(os.scripts).toHaveLength(0);
    supervisor.setMonitoring(true, 1);
    supervisor.fullCheck();
    expect(os.scripts).toHaveLength(1);
  });

  it('stall: probes every interval; silent past the retry-over time -> killed and restarted for stall', async () => {
    const os = fakeOs();
    os.spawn(100);
    const stall = { kind: 'web' as const, blockName: '_bi_webserv', line: 2, interval: 10, stopAfterDetect: false, retryOverTime: 30, port: 8080, host: null, timeout: null, path: '/', actionOnKillFail: true };
    const supervisor = new Supervisor(config([rule({ stall: [stall] })]), os.deps);
    supervisor.fullCheck();
    os.runFor(0);
    os.probes.shift()?.answer(true);
    await flush();
    expect(supervisor.views()?.[0]?.stall_chk).toEqual([{ kind: 'web', state: 'AVAIL' }]);
    for (let second = 10; second <= 40; second += 10) {
      os.runFor(10_000);
      os.probes.shift()?.answer(false);
      await flush();
    }
    expect(os.kills).toEqual([100]);
    expect(os.log.texts().slice(-2)).toEqual(['Find Web Server Stall: pid = 100 : port = 8080', 'Killed Process: pid= 100']);
    // the restart waits for death monitoring to see the process go
    expect(os.scripts).toHaveLength(0);
    expect(supervisor.views()?.[0]).toMatchObject({ pid: 100, proc_sts: 'AVAIL', stall_chk: [{ kind: 'web', state: 'DETECT' }] });
    os.table.delete(100);
    supervisor.livenessTick();
    expect(os.log.texts().slice(-2)).toEqual(["Process ['/usr/sbin/testd',pid=100] Down", "Try to restart ('/usr/sbin/testd')"]);
    expect(os.scripts[0]?.env).toMatchObject({ PS_REASON: 'stall', PS_OLD_PID: '100' });
    expect(supervisor.views()?.[0]).toMatchObject({ proc_sts: 'RESTART', stall_chk: [{ kind: 'web', state: 'DETECT' }] });
    // a later death of the restarted process is a plain one again
    os.spawn(101);
    os.scripts[0]?.finish(ok);
    await flush();
    os.runFor(DISCOVERY_COALESCE_MS);
    os.table.delete(101);
    supervisor.livenessTick();
    expect(os.scripts[1]?.env.PS_REASON).toBe('down');
  });

  it('stall: a wall-clock jump of days fakes nothing; only monotonic time counts', async () => {
    const os = fakeOs();
    os.spawn(100);
    const stall = { kind: 'skt' as const, blockName: '_bi_socket', line: 2, interval: 10, stopAfterDetect: false, retryOverTime: 30, port: 22, host: null, timeout: null, path: '/', actionOnKillFail: true };
    const supervisor = new Supervisor(config([rule({ stall: [stall] })]), os.deps);
    supervisor.fullCheck();
    os.runFor(0);
    os.probes.shift()?.answer(true);
    await flush();
    os.jumpWallClock(3 * 86_400_000);
    os.runFor(10_000);
    os.probes.shift()?.answer(false);
    await flush();
    os.jumpWallClock(-5 * 86_400_000);
    os.runFor(10_000);
    os.probes.shift()?.answer(true);
    await flush();
    expect(os.kills).toEqual([]);
    expect(supervisor.views()?.[0]?.stall_chk).toEqual([{ kind: 'skt', state: 'AVAIL' }]);
  });

  it('stall: a kill that fails ends stall monitoring and, with ACTION error 1, performs retry_over_action', async () => {
    const os = fakeOs();
    os.spawn(100);
    os.failKills('EPERM');
    const stall = { kind: 'web' as const, blockName: '_bi_webserv', line: 2, interval: 10, stopAfterDetect: false, retryOverTime: 10, port: 80, host: null, timeout: null, path: '/', actionOnKillFail: true };
    const supervisor = new Supervisor(config([rule({ retryOverAction: 'exit', stall: [stall] })]), os.deps);
    supervisor.fullCheck();
    os.runFor(0);
    os.probes.shift()?.answer(false);
    await flush();
    os.runFor(10_000);
    os.probes.shift()?.answer(false);
    await flush();
    expect(os.log.texts()).toContain('Can not killed Process: pid= 100');
    expect(os.fatal).toEqual(['exit']);
    expect(supervisor.views()?.[0]?.stall_chk).toEqual([{ kind: 'web', state: 'UNAVAIL' }]);
  });
});
