// CPU % and resident memory of many processes in one call, bounded by a timeout. The reader keeps,
// per pid, the last reading (to compute CPU % between two calls); this module makes that safe to
// keep in a daemon.
import type { UsageFields } from './proc.js';
import { ProcUsageReader, type ProcStatus } from './proc-usage.js';
import { withDeadline } from './timers.js';

/** One process's usage; cpuPercent is null on its first reading (nothing to compare with). */
export interface Usage {
  /** Percent of one core since the previous sample: 200 = two cores busy. */
  readonly cpuPercent: number | null;
  readonly rssBytes: number;
  /** CPU time the process has used since it started, user and system, in ms. */
  readonly cpuMs: number;
}

/** A sample: the usage of each pid that could be read (a pid gone or unreadable is absent). */
export type UsageSample = ReadonlyMap<number, Usage>;

export class UsageTimeout extends Error {
  constructor(readonly ms: number) {
    super(`timeout after ${ms} ms`);
  }
}

type Read = (pids: number[], options: { maxage: number }) => Promise<Record<string, ProcStatus | undefined | null>>;

/**
 * The default read: /proc/<pid>/stat of each pid (src/system/proc-usage.ts), through `boundUsage`
 * (the pid's liveness handle, which drops a reading of another process) where there is one.
 */
export function procRead(boundUsage?: (pid: number) => UsageFields | null | undefined): Read {
  const reader = new ProcUsageReader(undefined, undefined, boundUsage);
  return async (pids, options) => reader.read(pids, options);
}

/**
 * Samples pids. `intervalMs` is the caller's sampling period: the reader's history of a pid no
 * longer asked for expires after 3 periods. A pid that fails to read is not asked again for 2
 * expiry times: its history is dropped first, so a reused pid reads afresh.
 */
export class UsageSampler {
  /** pid -> monotonic ms of its last successful reading. */
  private readonly known = new Map<number, number>();
  /** pid -> monotonic ms it may be asked again. */
  private readonly resting = new Map<number, number>();
  private readonly maxAge: number;
  private latestSample: UsageSample = new Map();

  constructor(
    intervalMs: number,
    private readonly timeoutMs: number,
    private readonly now: () => number = () => performance.now(),
    private readonly read: Read = procRead(),
  ) {
    this.maxAge = Math.max(3 * intervalMs, 1000);
  }

  /** One sample of `pids`; rejects with UsageTimeout, or with the error of a call that failed as a whole. */
  async sample(pids: readonly number[]): Promise<UsageSample> {
    const now = this.now();
    for (const [pid, until] of this.resting) if (until <= now) this.resting.delete(pid);
    const asked = [...new Set(pids)].filter((pid) => Number.isSafeInteger(pid) && pid > 0 && !this.resting.has(pid));
    const result = new Map<number, Usage>();
    if (asked.length === 0) return result;
    // with one pid, the reader rejects when that pid cannot be read (with more, it leaves it out)
    const read = this.read(asked, { maxage: this.maxAge }).catch((error: NodeJS.ErrnoException): Record<string, null> => {
      if (asked.length === 1 && typeof error?.code === 'string') return {};
      throw error;
    });
    const stats = await this.withTimeout(read, asked);
    const at = this.now();
    for (const pid of asked) {
      const stat = stats[String(pid)];
      if (stat === undefined || stat === null || !Number.isFinite(stat.memory)) {
        this.known.delete(pid);
        this.resting.set(pid, at + 2 * this.maxAge);
        continue;
      }
      const last = this.known.get(pid);
      // a first reading, or one after the reader forgot the pid: its CPU % means nothing
      const fresh = last !== undefined && at - last < this.maxAge;
      result.set(pid, { cpuPercent: fresh && Number.isFinite(stat.cpu) ? stat.cpu : null, rssBytes: stat.memory, cpuMs: stat.ctime });
      this.known.set(pid, at);
    }
    for (const [pid, last] of this.known) if (at - last >= this.maxAge) this.known.delete(pid);
    this.latestSample = result;
    return result;
  }

  /** The last sample taken: what a metrics scrape reports, without a read of its own. */
  latest(): UsageSample {
    return this.latestSample;
  }

  private withTimeout<T>(work: Promise<T>, asked: readonly number[]): Promise<T> {
    return withDeadline(work, this.timeoutMs, () => {
      // the late answer is dropped; the pids' histories are left to the reader's expiry
      for (const pid of asked) this.known.delete(pid);
      return new UsageTimeout(this.timeoutMs);
    });
  }
}
