// Which running process an entry follows. Pure: works on ProcInfo facts gathered by the daemon.
import { basename } from 'node:path';
import type { ArgsMatch, EntryRule } from '../pfile/types.js';
import type { ProcInfo } from '../system/proc.js';

/** The kernel keeps at most 15 bytes of a process name. */
const COMM_LENGTH = 15;

export function compileArgs(args: ArgsMatch | null): ((commandLine: string) => boolean) | null {
  if (args === null) return null;
  if (args.kind === 'text') return (commandLine) => commandLine.includes(args.text);
  const pattern = new RegExp(args.source, args.flags);
  return (commandLine) => pattern.test(commandLine);
}

/** Whether a process answers to the entry's pname, args and user. Zombies never match. */
export function matches(rule: EntryRule, argsTest: ((commandLine: string) => boolean) | null, proc: ProcInfo): boolean {
  if (proc.state === 'Z' || proc.state === 'X') return false;
  if (!nameMatches(rule.pname, proc)) return false;
  if (rule.uid !== null && proc.uid !== rule.uid) return false;
  if (argsTest !== null && !argsTest(proc.argv.join(' '))) return false;
  return true;
}

function nameMatches(pname: string, proc: ProcInfo): boolean {
  const argv0 = proc.argv[0] ?? '';
  if (pname.startsWith('/')) return proc.exe === pname || argv0 === pname;
  return (
    proc.comm === pname.slice(0, COMM_LENGTH) ||
    basename(argv0) === pname ||
    (proc.exe !== null && basename(proc.exe) === pname)
  );
}

/**
 * The processes of one scan, indexed by every name an entry can match them by, so that finding the
 * process of K waiting entries among N processes costs K + N lookups, not K x N matches.
 */
export class ProcIndex {
  private readonly byName = new Map<string, ProcInfo[]>();
  private readonly byPid = new Map<number, ProcInfo>();

  constructor(readonly procs: readonly ProcInfo[]) {
    for (const proc of procs) {
      this.byPid.set(proc.pid, proc);
      const argv0 = proc.argv[0] ?? '';
      const keys = new Set([`c:${proc.comm}`, `n:${basename(argv0)}`, `p:${argv0}`]);
      if (proc.exe !== null) {
        keys.add(`n:${basename(proc.exe)}`);
        keys.add(`p:${proc.exe}`);
      }
      for (const key of keys) {
        const list = this.byName.get(key);
        if (list === undefined) this.byName.set(key, [proc]);
        else list.push(proc);
      }
    }
  }

  /** The process with this pid, if the scan saw it. */
  pid(pid: number): ProcInfo | undefined {
    return this.byPid.get(pid);
  }

  /** Every process nameMatches could accept for pname (a superset: matches() still decides). */
  named(pname: string): ProcInfo[] {
    if (pname.startsWith('/')) return this.union([`p:${pname}`]);
    return this.union([`c:${pname.slice(0, COMM_LENGTH)}`, `n:${pname}`]);
  }

  private union(keys: readonly string[]): ProcInfo[] {
    const lists = keys.map((key) => this.byName.get(key) ?? []).filter((list) => list.length > 0);
    if (lists.length <= 1) return lists[0] ?? [];
    return [...new Set(lists.flat())];
  }
}

/**
 * The process an entry follows among all running ones: the oldest match whose parent is not itself
 * a match (httpd's parent, not its workers). With a pidfile, only the process it names, if it matches.
 */
export function choose(
  rule: EntryRule,
  argsTest: ((commandLine: string) => boolean) | null,
  procs: readonly ProcInfo[] | ProcIndex,
  pidfilePid: number | null,
): ProcInfo | null {
  const index = procs instanceof ProcIndex ? procs : new ProcIndex(procs);
  if (rule.pidfile !== null) {
    if (pidfilePid === null) return null;
    const named = index.pid(pidfilePid);
    return named !== undefined && matches(rule, argsTest, named) ? named : null;
  }
  const candidates = index.named(rule.pname).filter((proc) => matches(rule, argsTest, proc));
  if (candidates.length === 0) return null;
  const matchedPids = new Set(candidates.map((proc) => proc.pid));
  const roots = candidates.filter((proc) => !matchedPids.has(proc.ppid));
  const pool = roots.length > 0 ? roots : candidates;
  return pool.reduce((oldest, proc) =>
    proc.startTime < oldest.startTime || (proc.startTime === oldest.startTime && proc.pid < oldest.pid) ? proc : oldest,
  );
}
