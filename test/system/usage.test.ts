import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { UsageSampler, UsageTimeout } from '../../src/system/usage.js';

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
});

function start(code: string): ChildProcess {
  const child = spawn(process.execPath, ['-e', code], { stdio: 'ignore' });
  children.push(child);
  return child;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** VmRSS of a pid from /proc, in bytes. */
function vmRss(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((row) => row.startsWith('VmRSS:')) ?? '';
  return Number(/(\d+)/.exec(line)?.[1]) * 1024;
}

describe('usage sampler (real processes)', () => {
  it('reads many pids in one call: RSS at once, CPU % from the second reading on', async () => {
    const spinner = start('for(;;){}');
    const sleeper = start('setInterval(() => {}, 1000)');
    await sleep(300);
    const sampler = new UsageSampler(500, 5000);
    const pids = [spinner.pid as number, sleeper.pid as number];
    const first = await sampler.sample(pids);
    expect(first.get(spinner.pid as number)?.cpuPercent).toBeNull();
    const rss = first.get(sleeper.pid as number)?.rssBytes ?? 0;
    expect(rss).toBeGreaterThan(1024 * 1024);
    expect(Math.abs(rss - vmRss(sleeper.pid as number)) / rss).toBeLessThan(0.5);
    await sleep(1000);
    const second = await sampler.sample(pids);
    expect(second.get(spinner.pid as number)?.cpuPercent).toBeGreaterThan(0);
    expect(second.get(sleeper.pid as number)?.cpuPercent).toBeGreaterThanOrEqual(0);
  });

  it('a pid that is gone is left out, alone or among others', async () => {
    const gone = start('');
    await new Promise((resolve) => gone.once('exit', resolve));
    const alive = start('setInterval(() => {}, 1000)');
    await sleep(200);
    const sampler = new UsageSampler(500, 5000);
    expect((await sampler.sample([gone.pid as number])).size).toBe(0);
    const mixed = await sampler.sample([gone.pid as number, alive.pid as number]);
    expect([...mixed.keys()]).toEqual([alive.pid]);
  });
});

describe('usage sampler (fake reads)', () => {
  it('rejects with UsageTimeout when the read outlives its timeout', async () => {
    const sampler = new UsageSampler(500, 50, () => performance.now(), () => new Promise(() => undefined));
    await expect(sampler.sample([1])).rejects.toBeInstanceOf(UsageTimeout);
  });

  it('a pid that failed rests until pidusage forgot it, then reads afresh (CPU unknown again)', async () => {
    let now = 0;
    const asked: number[][] = [];
    let answer: Record<string, { cpu: number; memory: number } | undefined> = {};
    const sampler = new UsageSampler(1000, 5000, () => now, async (pids) => {
      asked.push([...pids]);
      return answer as never;
    });
    answer = { 7: { cpu: 5, memory: 100 } };
    await sampler.sample([7]);
    now += 1000;
    expect((await sampler.sample([7])).get(7)).toEqual({ cpuPercent: 5, rssBytes: 100 });
    answer = {};
    now += 1000;
    await sampler.sample([7]);
    now += 1000;
    expect((await sampler.sample([7])).size).toBe(0);
    expect(asked).toHaveLength(3);
    now += 6000;
    answer = { 7: { cpu: 9, memory: 200 } };
    expect((await sampler.sample([7])).get(7)).toEqual({ cpuPercent: null, rssBytes: 200 });
    expect(asked).toHaveLength(4);
  });
});
