// `show proc`: each entry's process and its descendants, from one ps-list call (a one-shot listing,
// never the check cycle). The tree is built by pure functions; the listing and /proc reads are the I/O.
import { readFileSync } from 'node:fs';
import psList from 'ps-list';
import type { ProcRow, ProcView } from '../control/protocol.js';
import type { PentView } from '../control/views.js';
import { withDeadline } from './timers.js';

/** How long `show proc` waits for ps before it answers with an error. */
export const PROC_LIST_TIMEOUT_MS = 5000;

/** One process of the system listing, as the tree needs it. */
export interface Listed {
  readonly pid: number;
  readonly ppid: number;
  readonly uid: number | null;
  /** ps's %cpu: CPU time over the process's lifetime. */
  readonly cpu: number;
  readonly startTime: Date | null;
  readonly command: string;
}

/** What the tree cannot take from the listing: the user's name and the resident size. */
export interface TreeFacts {
  userOf(uid: number | null): string;
  /** Bytes, or null when /proc no longer has the process. */
  rssOf(pid: number): number | null;
}

/** Thrown when the process list cannot be had; the message says why, for padmin. */
export class ProcListError extends Error {}

/** `root` and its descendants in depth-first order (children by pid), each with its depth; [] when root is not listed. */
export function descendants(root: number, listing: readonly Listed[]): { readonly proc: Listed; readonly depth: number }[] {
  const byPid = new Map(listing.map((proc) => [proc.pid, proc]));
  const top = byPid.get(root);
  if (top === undefined) return [];
  const children = new Map<number, Listed[]>();
  for (const proc of listing) {
    if (proc.pid === proc.ppid) continue;
    const siblings = children.get(proc.ppid);
    if (siblings === undefined) children.set(proc.ppid, [proc]);
    else siblings.push(proc);
  }
  const rows: { proc: Listed; depth: number }[] = [];
  const seen = new Set<number>();
  const stack = [{ proc: top, depth: 0 }];
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    if (seen.has(next.proc.pid)) continue;
    seen.add(next.proc.pid);
    rows.push(next);
    const kids = [...(children.get(next.proc.pid) ?? [])].sort((a, b) => b.pid - a.pid);
    for (const kid of kids) stack.push({ proc: kid, depth: next.depth + 1 });
  }
  return rows;
}

/** One view per entry: its followed process (pid null: none) and that process's tree. */
export function buildProcViews(pents: readonly PentView[], listing: readonly Listed[], facts: TreeFacts): ProcView[] {
  return pents.map((pent) => ({
    pent_id: pent.pent_id,
    pname: pent.pname,
    pid: pent.pid,
    proc_sts: pent.proc_sts,
    processes:
      pent.pid === null
        ? []
        : descendants(pent.pid, listing).map(({ proc, depth }): ProcRow => ({
            pid: proc.pid,
            ppid: proc.ppid,
            depth,
            user: facts.userOf(proc.uid),
            uid: proc.uid,
            cpu_percent: proc.cpu,
            rss_bytes: facts.rssOf(proc.pid),
            start_time: proc.startTime === null ? null : proc.startTime.toISOString(),
            command: proc.command,
          })),
  }));
}

/** The process table of `pents`: one ps-list call, then /proc for the RSS of the few processes shown. */
export async function procTable(pents: readonly PentView[], timeoutMs = PROC_LIST_TIMEOUT_MS): Promise<ProcView[]> {
  const listing = await listProcesses(timeoutMs);
  return buildProcViews(pents, listing, { userOf: userNames(), rssOf: readRss });
}

// ps-list cannot be cancelled: past the timeout the answer is an error, and a late ps is left to end.
async function listProcesses(timeoutMs: number): Promise<Listed[]> {
  try {
    const processes = await withDeadline(psList({ all: true }), timeoutMs, () => new ProcListError(`ps did not answer within ${timeoutMs / 1000} s; try again`));
    return processes.map((proc) => ({
      pid: proc.pid,
      ppid: proc.ppid,
      uid: proc.uid ?? null,
      cpu: proc.cpu ?? 0,
      startTime: proc.startTime ?? null,
      command: proc.cmd ?? proc.name,
    }));
  } catch (error) {
    if (error instanceof ProcListError) throw error;
    throw new ProcListError(`cannot list processes with ps: ${(error as Error).message}`);
  }
}

/** VmRSS of /proc/<pid>/status in bytes; null when the process is gone or is a kernel thread. */
export function readRss(pid: number, root = '/proc'): number | null {
  try {
    const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`${root}/${pid}/status`, 'latin1'));
    return match ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** uid -> name from the passwd file, read once per call; an unknown uid shows as its number. */
export function userNames(passwdPath = '/etc/passwd'): (uid: number | null) => string {
  const names = new Map<number, string>();
  try {
    for (const line of readFileSync(passwdPath, 'utf8').split('\n')) {
      const [name, , uid] = line.split(':');
      if (name && uid && /^\d+$/.test(uid) && !names.has(Number(uid))) names.set(Number(uid), name);
    }
  } catch {
    // no passwd file: numbers only
  }
  return (uid) => (uid === null ? '?' : (names.get(uid) ?? String(uid)));
}
