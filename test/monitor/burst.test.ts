// A restart burst: K processes die together, their K scripts finish close together. Discovery must
// cost about one scan per coalescing window and serve every waiting entry from it; the carried state
// is saved once per tick, not once per death.
import { describe, expect, it } from 'vitest';
import { DISCOVERY_COALESCE_MS, PROBE_SLOT_MS, Supervisor, type SupervisorDeps } from '../../src/daemon/supervisor.js';
import { createMemoryLog } from '../../src/log/message-log.js';
import type { ProcInfo } from '../../src/system/proc.js';
import type { ScriptResult } from '../../src/system/script.js';
import { FakeClock } from '../helpers/clock.js';
import { config, rule } from '../helpers/rules.js';

const ok: ScriptResult = { outcome: 'ok', status: 'exit=0', endedBy: null, output: '', truncated: false };
const flush = () => new Promise((resolve) => setImmediate(resolve));
const K = 20;

/** A fake OS with an injected clock and timers, counting scans; `sliced`: scan answers with a promise it settles. */
function burstOs(sliced = false) {
  const table = new Map<number, ProcInfo>();
  const scripts: { name: string; finish: (result: ScriptResult) => void }[] = [];
  const pendingScans: (() => void)[] = [];
  const log = createMemoryLog();
  const clock = new FakeClock();
  let scans = 0;
  let saves = 0;
  const deps: SupervisorDeps = {
    now: clock.now,
    wallNow: () => Date.UTC(2026, 10, 25),
    scan: () => {
      scans += 1;
      if (!sliced) return [...table.values()];
      // the table as it is when the scan ends, as a scan in slices reads it over time
      return new Promise<ProcInfo[]>((resolve) => pendingScans.push(() => resolve([...table.values()])));
    },
    watch: (pid, startTime) =>
      table.get(pid)?.startTime !== startTime
        ? null
        : { check: () => (table.get(pid)?.startTime === startTime ? 'alive' : 'gone'), close: () => undefined },
    statOf: (pid) => table.get(pid) ?? null,
    readPidfile: () => null,
    runScript: (_path, options) => new Promise((resolve) => scripts.push({ name: options.env.PS_PNAME ?? '', finish: resolve })),
    probe: async () => ({ ok: true, detail: '' }),
    kill: () => null,
    readCa: () => '',
    after: clock.after,
    log: () => log,
    onFatalRetryOver: () => undefined,
    onCarriedChange: () => (saves += 1),
  };
  let nextPid = 1000;
  const spawn = (name: string) => {
    nextPid += 1;
    table.set(nextPid, { pid: nextPid, comm: 'sleep', state: 'S', ppid: 1, startTime: nextPid, exe: '/usr/bin/sleep', argv: [name, '100000'], uid: 0 });
  };
  return {
    deps,
    table,
    scripts,
    log,
    runFor: clock.runFor,
    spawn,
    pendingScans,
    advance: clock.advance,
    scans: () => scans,
    saves: () => saves,
  };
}

const names = Array.from({ length: K }, (_, index) => `burst-${index}`);
const rules = names.map((pname, index) => rule({ pentId: index + 1, line: index + 1, pname }));

function startAll(os: ReturnType<typeof burstOs>): Supervisor {
  for (const name of names) os.spawn(name);
  const supervisor = new Supervisor(config(rules), os.deps);
  supervisor.fullCheck();
  expect(supervisor.views()?.every((view) => view.proc_sts === 'AVAIL')).toBe(true);
  return supervisor;
}

describe('a restart burst', () => {
  it('K deaths in one tick: K scripts, the carried state saved once before their messages', () => {
    const os = burstOs();
    const supervisor = startAll(os);
    let savesAtFirstMessage: number | null = null;
    const emit = os.log.emit.bind(os.log);
    os.log.emit = ((key: never, fields: never, entry?: never) => {
      if (key === 'down') savesAtFirstMessage ??= os.saves();
      emit(key, fields, entry);
    }) as typeof os.log.emit;
    const saves = os.saves();
    os.table.clear();
    os.advance(200);
    supervisor.livenessTick();
    expect(os.scripts).toHaveLength(K);
    expect(os.saves()).toBe(saves + 1);
    expect(savesAtFirstMessage).toBe(saves + 1);
    expect(os.log.entries().filter((entry) => entry.key === 'down')).toHaveLength(K);
  });

  it('K scripts finishing within the window: one scan serves every waiting entry', async () => {
    const os = burstOs();
    const supervisor = startAll(os);
    os.table.clear();
    os.advance(200);
    supervisor.livenessTick();
    expect(os.scripts).toHaveLength(K);
    const scansBefore = os.scans();
    // each script starts its process and ends, 1 ms apart: all K inside one window
    for (const script of os.scripts.splice(0)) {
      os.spawn(script.name);
      script.finish(ok);
      await flush();
      os.advance(1);
    }
    expect(K).toBeLessThan(DISCOVERY_COALESCE_MS);
    expect(os.scans()).toBe(scansBefore);
    expect(supervisor.views()?.every((view) => view.proc_sts === 'RESTART')).toBe(true);
    os.runFor(DISCOVERY_COALESCE_MS);
    expect(os.scans()).toBe(scansBefore + 1);
    expect(supervisor.views()?.every((view) => view.proc_sts === 'AVAIL')).toBe(true);
    expect(os.log.entries().filter((entry) => entry.key === 'up')).toHaveLength(2 * K);
  });

  it('scripts finishing over several windows: about one scan per window', async () => {
    const os = burstOs();
    const supervisor = startAll(os);
    os.table.clear();
    os.advance(200);
    supervisor.livenessTick();
    const scansBefore = os.scans();
    // K scripts over 4 windows
    const step = (4 * DISCOVERY_COALESCE_MS) / K;
    for (const script of os.scripts.splice(0)) {
      os.spawn(script.name);
      script.finish(ok);
      await flush();
      os.runFor(step);
    }
    os.runFor(DISCOVERY_COALESCE_MS);
    expect(os.scans() - scansBefore).toBeLessThanOrEqual(5);
    expect(supervisor.views()?.every((view) => view.proc_sts === 'AVAIL')).toBe(true);
  });

  it('a scan in slices: one on its way at a time; entries that began waiting meanwhile get the next', async () => {
    const os = burstOs(true);
    for (const name of names) os.spawn(name);
    const supervisor = new Supervisor(config(rules), os.deps);
    supervisor.fullCheck();
    expect(os.scans()).toBe(1);
    os.pendingScans.shift()?.();
    await flush();
    expect(supervisor.views()?.every((view) => view.proc_sts === 'AVAIL')).toBe(true);

    os.table.clear();
    os.advance(200);
    supervisor.livenessTick();
    const [first, ...rest] = os.scripts.splice(0);
    os.spawn(first!.name);
    first!.finish(ok);
    await flush();
    os.runFor(DISCOVERY_COALESCE_MS);
    expect(os.scans()).toBe(2);
    // the others finish while that scan is on its way: no second scan is started beside it
    for (const script of rest) {
      os.spawn(script.name);
      script.finish(ok);
      await flush();
    }
    os.runFor(DISCOVERY_COALESCE_MS);
    os.advance(500);
    supervisor.livenessTick();
    expect(os.scans()).toBe(2);
    os.pendingScans.shift()?.();
    await flush();
    expect(supervisor.views()?.[0]).toMatchObject({ proc_sts: 'AVAIL' });
    // the rest began waiting after that scan began: one more scan, a window later, serves them all
    os.runFor(DISCOVERY_COALESCE_MS);
    expect(os.scans()).toBe(3);
    os.pendingScans.shift()?.();
    await flush();
    expect(supervisor.views()?.every((view) => view.proc_sts === 'AVAIL')).toBe(true);
  });

  it('the stall blocks of K processes found at once: first probes PROBE_SLOT_MS apart, the spread kept at every interval', async () => {
    const os = burstOs();
    const probedAt: number[] = [];
    const probing = { ...os.deps, probe: async () => (probedAt.push(os.deps.now()), { ok: true as const, detail: '' }) };
    const stall = { kind: 'web' as const, blockName: '_bi_webserv', line: 2, interval: 10, stopAfterDetect: false, retryOverTime: 600, port: 80, host: null, timeout: null, path: '/', actionOnKillFail: false };
    for (const name of names) os.spawn(name);
    const supervisor = new Supervisor(config(rules.map((entry) => ({ ...entry, stall: [stall] }))), probing);
    supervisor.fullCheck();
    os.runFor(K * PROBE_SLOT_MS);
    expect(probedAt).toEqual(names.map((_, index) => index * PROBE_SLOT_MS));
    // the results come back, then the next interval
    await flush();
    probedAt.length = 0;
    os.runFor(10_000);
    expect(probedAt).toEqual(names.map((_, index) => 10_000 + index * PROBE_SLOT_MS));
    await flush();
    supervisor.stop();
  });
});
