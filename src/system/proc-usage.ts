// CPU and resident memory of processes, read straight from /proc/<pid>/stat: one synchronous read per
// pid into a shared buffer. It replaces pidusage, whose per-pid asynchronous reads (a thread-pool
// request, a 1 KiB buffer and a callback each, and an open descriptor kept per pid) cost an idle
// pcheck with 1000 entries more than its liveness ticks did.
import { readFileSync } from 'node:fs';
import { isExhaustion, readStatUsage, type UsageFields } from './proc.js';

/** One reading: CPU % since the previous reading (0 on the first), RSS in bytes, CPU time in ms. */
export interface ProcStatus {
  readonly cpu: number;
  readonly memory: number;
  readonly ctime: number;
}

/** USER_HZ: the unit of the times in /proc/<pid>/stat, 100 on every Linux architecture. */
const CLOCK_TICKS_PER_SECOND = 100;

interface Previous {
  readonly startTime: number;
  readonly ctimeMs: number;
  readonly at: number;
}

/**
 * Reads usage of many pids at once, keeping each pid's previous reading (for CPU %) for `maxage` ms.
 * A pid now held by another process (a different start time) starts afresh. A pid that cannot be
 * read is left out; out of descriptors, the whole read fails (nothing can be told of any pid).
 */
export class ProcUsageReader {
  private readonly previous = new Map<number, Previous>();
  private pageSize: number | null = null;

  /**
   * `boundUsage`: the usage fields of a pid as its liveness handle reads them (null: the pid no
   * longer holds the handle's process, and is left out), or undefined to read them by path.
   */
  constructor(
    private readonly now: () => number = () => performance.now(),
    private readonly root = '/proc',
    private readonly boundUsage: (pid: number) => UsageFields | null | undefined = () => undefined,
  ) {}

  read(pids: readonly number[], options: { maxage: number }): Record<string, ProcStatus | undefined> {
    const at = this.now();
    const pageSize = (this.pageSize ??= pageSizeOf(this.root));
    const result: Record<string, ProcStatus | undefined> = {};
    for (const pid of pids) {
      let fields: UsageFields | null;
      try {
        const bound = this.boundUsage(pid);
        fields = bound === undefined ? readStatUsage(`${this.root}/${pid}/stat`) : bound;
      } catch (error) {
        if (isExhaustion(error)) throw error;
        this.previous.delete(pid);
        continue;
      }
      if (fields === null) continue;
      const ctimeMs = (fields.ticks * 1000) / CLOCK_TICKS_PER_SECOND;
      const last = this.previous.get(pid);
      const elapsed = last === undefined || last.startTime !== fields.startTime ? 0 : at - last.at;
      const cpu = elapsed > 0 ? ((ctimeMs - last!.ctimeMs) / elapsed) * 100 : 0;
      this.previous.set(pid, { startTime: fields.startTime, ctimeMs, at });
      result[String(pid)] = { cpu, memory: fields.rssPages * pageSize, ctime: ctimeMs };
    }
    for (const [pid, last] of this.previous) if (at - last.at > options.maxage) this.previous.delete(pid);
    return result;
  }
}

/**
 * The kernel's page size, which Node does not expose: this process's resident size in kB
 * (/proc/self/status VmRSS) over its resident pages (/proc/self/statm), rounded to a power of two.
 * 4096 when they cannot be read.
 */
export function pageSizeOf(root = '/proc'): number {
  try {
    const residentPages = Number(readFileSync(`${root}/self/statm`, 'latin1').split(' ')[1]);
    const residentKb = Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`${root}/self/status`, 'latin1'))?.[1]);
    const ratio = residentKb / residentPages;
    if (!Number.isFinite(ratio) || ratio <= 0) return 4096;
    return 2 ** Math.round(Math.log2(ratio)) * 1024;
  } catch {
    return 4096;
  }
}
