// Delays past Node's timer limit (2^31-1 ms) are kept, not turned into 1 ms.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { after, every, MAX_TIMER_MS } from '../../src/system/timers.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('timers', () => {
  it('after() keeps a 2200000 s delay (setTimeout alone would fire it within 1 ms)', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'performance'] });
    const fired: string[] = [];
    const cancel = after(2_200_000_000, () => fired.push('after'));
    vi.advanceTimersByTime(1000);
    expect(fired).toEqual([]);
    vi.advanceTimersByTime(MAX_TIMER_MS);
    expect(fired).toEqual([]);
    vi.advanceTimersByTime(2_200_000_000 - MAX_TIMER_MS - 1000 - 1);
    expect(fired).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(fired).toEqual(['after']);
    cancel();
  });

  it('every() with a period past the limit runs once per period, not every millisecond', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'performance'] });
    let runs = 0;
    const cancel = every(2_200_000 * 1000, () => (runs += 1));
    vi.advanceTimersByTime(10_000);
    expect(runs).toBe(0);
    vi.advanceTimersByTime(2 * 2_200_000 * 1000);
    expect(runs).toBe(2);
    cancel();
    vi.advanceTimersByTime(5 * 2_200_000 * 1000);
    expect(runs).toBe(2);
  });

  it('short delays behave as setTimeout and setInterval, and cancel', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'performance'] });
    let once = 0;
    let periodic = 0;
    after(100, () => (once += 1));
    const cancelled = after(100, () => (once += 10));
    cancelled();
    const stop = every(50, () => (periodic += 1));
    vi.advanceTimersByTime(200);
    expect(once).toBe(1);
    expect(periodic).toBe(4);
    stop();
  });
});

describe('withDeadline', () => {
  it('passes the answer through, turns a non-Error rejection into an Error, and rejects with onTimeout past the deadline', async () => {
    const { withDeadline } = await import('../../src/system/timers.js');
    await expect(withDeadline(Promise.resolve(7), 1000, () => new Error('late'))).resolves.toBe(7);
    await expect(withDeadline(Promise.reject('boom'), 1000, () => new Error('late'))).rejects.toThrow('boom');
    await expect(withDeadline(new Promise(() => undefined), 10, () => new Error('late'))).rejects.toThrow('late');
  });
});
