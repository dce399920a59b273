// CPU and resident memory of processes, read straight from /proc/<pid>/stat: one synchronous read per
// pid into a shared buffer. It replaces pidusage, whose per-pid asynchronous reads (a thread-pool
// request, a 1 KiB buffer and a callback each, and an open descriptor kept per pid) cost an idle
// pcheck with 1000 entries more than its liveness ticks did.
import { readFileSync } from 'node:fs';
import { isExhaustion, readStatText } from './proc.js';

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
   * `boundText`: the stat text of a pid through a descriptor already open on it (the liveness
   * handle's), or null to read it by path.
   */
  constructor(
    private readonly now: () => number = () => performance.now(),
    private readonly root = '/proc',
    private readonly boundText: (pid: number) => string | null = () => null,
  ) {}

  read(pids: readonly number[], options: { maxage: number }): Record<string, ProcStatus | undefined> {
    const at = this.now();
    const pageSize = (this.pageSize ??= pageSizeOf(this.root));
    const result: Record<string, ProcStatus | undefined> = {};
    for (const pid of pids) {
      let text: string;
      try {
        text = this.boundText(pid) ?? readStatText(`${this.root}/${pid}/stat`);
      } catch (error) {
        if (isExhaustion(error)) throw error;
        this.previous.delete(pid);
        continue;
      }
      const fields = usageFields(text);
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

/** utime + stime (fields 14, 15, clock ticks), starttime (22) and rss (24, pages) of a stat line. */
export function usageFields(text: string): { ticks: number; startTime: number; rssPages: number } | null {
  const close = text.lastIndexOf(')');
  if (close < 0) return null;
  // field 3 (state) starts 2 past the ')'; walk the blanks to the fields wanted, without splitting the line
  let field = 3;
  let at = close + 2;
  let ticks = 0;
  let startTime = NaN;
  let rssPages = NaN;
  while (field <= 24 && at < text.length) {
    let end = text.indexOf(' ', at);
    if (end < 0) end = text.length;
    if (field === 14 || field === 15) ticks += Number(text.slice(at, end));
    else if (field === 22) startTime = Number(text.slice(at, end));
    else if (field === 24) rssPages = Number(text.slice(at, end));
    field += 1;
    at = end + 1;
  }
  return Number.isFinite(ticks) && Number.isFinite(startTime) && Number.isFinite(rssPages) ? { ticks, startTime, rssPages } : null;
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
