import { describe, expect, it } from 'vitest';
import { LIMIT_KILL_GRACE_MS, Supervisor, type SupervisorDeps } from '../../src/daemon/supervisor.js';
import { createMemoryLog } from '../../src/log/message-log.js';
import { initialLimits, limitsTransition, type LimitsState, type UsageSample } from '../../src/monitor/limits.js';
import type { EntryLimits } from '../../src/pfile/types.js';
import type { ProcInfo } from '../../src/system/proc.js';
import type { ScriptResult } from '../../src/system/script.js';
import type { Usage } from '../../src/system/usage.js';
import { FakeClock } from '../helpers/clock.js';
import { config, rule } from '../helpers/rules.js';

const MiB = 1024 * 1024;
const limits = (overrides: Partial<EntryLimits> = {}): EntryLimits => ({ maxRss: 100 * MiB, maxCpu: 50, hold: 10, action: 'log', ...overrides });

/** Feeds samples at the given seconds; returns the effects of each and the last state. */
function run(rules: EntryLimits, samples: [seconds: number, sample: UsageSample][]) {
  let state: LimitsState = initialLimits();
  const effects: { at: number; type: string; key?: string; fields?: unknown }[] = [];
  for (const [seconds, sample] of samples) {
    const step = limitsTransition(rules, state, sample, { now: seconds * 1000, name: 'testd', pid: 42 });
    state = step.state;
    for (const effect of step.effects) effects.push({ at: seconds, ...effect });
  }
  return { state, effects };
}

const rss = (mib: number): UsageSample => ({ cpuPercent: 1, rssBytes: mib * MiB });
const cpu = (percent: number | null): UsageSample => ({ cpuPercent: percent, rssBytes: MiB });

describe('the hold-time machine', () => {
  it('a spike shorter than the hold does nothing', () => {
    const { effects, state } = run(limits(), [[0, rss(200)], [5, rss(200)], [9, rss(200)], [10, rss(50)], [15, rss(200)], [24, rss(200)]]);
    expect(effects).toEqual([]);
    expect(state.rss).toEqual({ since: 15_000, fired: false });
  });

  it('a breach held for the hold fires once, however long it lasts', () => {
    const { effects } = run(limits(), [[0, rss(200)], [5, rss(300)], [10, rss(250)], [15, rss(250)], [60, rss(900)]]);
    expect(effects).toEqual([
      { at: 10, type: 'log', key: 'limitBreached', fields: { name: 'testd', pid: 42, kind: 'rss', value: 250 * MiB, limit: 100 * MiB, hold: 10, action: 'log' } },
    ]);
  });

  it('the hold counts from the first sample over the limit, not the first sample', () => {
    const { effects } = run(limits(), [[0, cpu(10)], [5, cpu(90)], [10, cpu(90)], [15, cpu(90)]]);
    expect(effects.map((effect) => [effect.at, effect.key])).toEqual([[15, 'limitBreached']]);
  });

  it('recovery after a breach is logged as cleared, and a new breach fires again', () => {
    const { effects } = run(limits({ hold: 0 }), [[0, cpu(90)], [1, cpu(80)], [2, cpu(50)], [3, cpu(40)], [4, cpu(99)]]);
    expect(effects.map((effect) => [effect.at, effect.key])).toEqual([
      [0, 'limitBreached'],
      [2, 'limitCleared'],
      [4, 'limitBreached'],
    ]);
    expect(effects[1]?.fields).toEqual({ name: 'testd', pid: 42, kind: 'cpu', value: 50, limit: 50 });
  });

  it('an unknown reading neither grows nor ends a breach', () => {
    const { effects } = run(limits(), [[0, cpu(90)], [5, cpu(null)], [10, cpu(90)]]);
    expect(effects.map((effect) => effect.key)).toEqual(['limitBreached']);
    expect(run(limits(), [[0, cpu(90)], [5, cpu(null)]]).state.cpu).toEqual({ since: 0, fired: false });
  });

  it('restart action: the breach asks one restart, even with both limits breached at once', () => {
    const { effects } = run(limits({ action: 'restart', hold: 2 }), [[0, { cpuPercent: 99, rssBytes: 500 * MiB }], [2, { cpuPercent: 99, rssBytes: 500 * MiB }], [4, { cpuPercent: 99, rssBytes: 500 * MiB }]]);
    expect(effects.map((effect) => effect.key ?? effect.type)).toEqual(['limitBreached', 'limitBreached', 'restartForLimit']);
  });

  it('an entry without limits never breaches', () => {
    const { effects } = run(limits({ maxRss: null, maxCpu: null, hold: 0 }), [[0, { cpuPercent: 1e6, rssBytes: 1e15 }], [100, { cpuPercent: 1e6, rssBytes: 1e15 }]]);
    expect(effects).toEqual([]);
  });
});

/** The OS as the supervisor sees it: a process table, usage readings, signals and timers, all fake. */
function fakeOs() {
  const table = new Map<number, ProcInfo>();
  const readings = new Map<number, Usage>();
  const signals: [number, string][] = [];
  const scripts: { env: Record<string, string>; finish: (result: ScriptResult) => void }[] = [];
  const clock = new FakeClock();
  let usageFails: string | null = null;
  const log = createMemoryLog();
  const deps: SupervisorDeps = {
    now: clock.now,
    wallNow: () => Date.UTC(2026, 10, 25),
    scan: () => [...table.values()],
    watch: (pid, startTime) =>
      table.get(pid)?.startTime !== startTime
        ? null
        : { check: () => (table.get(pid)?.startTime === startTime ? 'alive' : 'gone'), close: () => undefined },
    statOf: (pid) => table.get(pid) ?? null,
    readPidfile: () => null,
    runScript: (_path, options) => new Promise((resolve) => scripts.push({ env: { ...options.env }, finish: resolve })),
    probe: () => new Promise(() => undefined),
    kill: (pid, signal = 'SIGKILL') => {
      signals.push([pid, signal]);
      return null;
    },
    usage: (pids) =>
      usageFails === null
        ? Promise.resolve(new Map(pids.flatMap((pid) => (readings.has(pid) ? [[pid, readings.get(pid) as Usage] as const] : []))))
        : Promise.reject(new Error(usageFails)),
    readCa: () => '',
    after: clock.after,
    log: () => log,
    onFatalRetryOver: () => undefined,
  };
  return {
    deps,
    table,
    readings,
    signals,
    scripts,
    log,
    runFor: clock.runFor,
    failUsage: (why: string | null) => (usageFails = why),
    spawn: (pid: number) => table.set(pid, { pid, comm: 'testd', state: 'S', ppid: 1, startTime: pid, exe: '/usr/sbin/testd', argv: ['/usr/sbin/testd'], uid: 0 }),
  };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));
const ok: ScriptResult = { outcome: 'ok', status: 'exit=0', endedBy: null, output: '', truncated: false };

/** One usage tick, then the sample's answer. */
async function sampleAt(os: ReturnType<typeof fakeOs>, supervisor: Supervisor, seconds: number) {
  os.runFor(seconds * 1000);
  supervisor.usageTick();
  await flush();
}

describe('limits in the supervisor', () => {
  it('restart action: SIGTERM, then the death is a restart with PS_REASON=limit that counts as a retry', async () => {
    const os = fakeOs();
    os.spawn(100);
    const supervisor = new Supervisor(config([rule({ limits: limits({ action: 'restart', hold: 10 }) })]), os.deps);
    supervisor.fullCheck();
    os.readings.set(100, { cpuPercent: 3, rssBytes: 500 * MiB });
    await sampleAt(os, supervisor, 0);
    expect(supervisor.views()?.[0]).toMatchObject({ cpu_percent: 3, rss_bytes: 500 * MiB });
    await sampleAt(os, supervisor, 5);
    expect(os.signals).toEqual([]);
    await sampleAt(os, supervisor, 5);
    expect(os.signals).toEqual([[100, 'SIGTERM']]);
    expect(os.log.entries().map((entry) => entry.key)).toEqual(['up', 'limitBreached', 'limitKill']);

    os.table.delete(100);
    supervisor.livenessTick();
    expect(os.scripts[0]?.env).toMatchObject({ PS_REASON: 'limit', PS_OLD_PID: '100', PS_RETRY_COUNT: '1' });
    expect(supervisor.views()?.[0]).toMatchObject({ proc_sts: 'RESTART', retry_count: 1, restart_count: 1, cpu_percent: null, rss_bytes: null });
    os.runFor(LIMIT_KILL_GRACE_MS);
    expect(os.signals).toEqual([[100, 'SIGTERM']]);

    // the new process starts with no breach behind it
    os.spawn(101);
    os.scripts[0]?.finish(ok);
    await flush();
    os.readings.set(101, { cpuPercent: 3, rssBytes: 500 * MiB });
    await sampleAt(os, supervisor, 5);
    expect(os.signals).toEqual([[100, 'SIGTERM']]);
  });

  it('a process that outlives the SIGTERM grace gets SIGKILL', async () => {
    const os = fakeOs();
    os.spawn(100);
    const supervisor = new Supervisor(config([rule({ limits: limits({ action: 'restart', hold: 0 }) })]), os.deps);
    supervisor.fullCheck();
    os.readings.set(100, { cpuPercent: 3, rssBytes: 500 * MiB });
    await sampleAt(os, supervisor, 0);
    os.runFor(LIMIT_KILL_GRACE_MS);
    expect(os.signals).toEqual([[100, 'SIGTERM'], [100, 'SIGKILL']]);
    os.table.delete(100);
    supervisor.livenessTick();
    expect(os.scripts[0]?.env.PS_REASON).toBe('limit');
  });

  it('log action: breached and cleared are logged, nothing is signalled', async () => {
    const os = fakeOs();
    os.spawn(100);
    const supervisor = new Supervisor(config([rule({ limits: limits({ hold: 2 }) })]), os.deps);
    supervisor.fullCheck();
    os.readings.set(100, { cpuPercent: 99, rssBytes: MiB });
    await sampleAt(os, supervisor, 0);
    await sampleAt(os, supervisor, 2);
    await sampleAt(os, supervisor, 2);
    os.readings.set(100, { cpuPercent: 1, rssBytes: MiB });
    await sampleAt(os, supervisor, 2);
    expect(os.log.entries().map((entry) => entry.key)).toEqual(['up', 'limitBreached', 'limitCleared']);
    expect(os.signals).toEqual([]);
  });

  it('a failed sample is said once, its recovery once; the views show unknown meanwhile', async () => {
    const os = fakeOs();
    os.spawn(100);
    const supervisor = new Supervisor(config([rule()]), os.deps);
    supervisor.fullCheck();
    os.readings.set(100, { cpuPercent: 3, rssBytes: MiB });
    await sampleAt(os, supervisor, 0);
    os.failUsage('timeout after 5000 ms');
    await sampleAt(os, supervisor, 5);
    await sampleAt(os, supervisor, 5);
    expect(supervisor.views()?.[0]).toMatchObject({ cpu_percent: null, rss_bytes: null });
    os.failUsage(null);
    await sampleAt(os, supervisor, 5);
    expect(os.log.texts().slice(1)).toEqual([
      'Resource usage sample failed: timeout after 5000 ms; CPU and RSS unknown and limits not checked until a sample succeeds',
      'Resource usage sampled again after 10s of failed samples',
    ]);
  });
});
