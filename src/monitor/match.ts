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
 * The process an entry follows among all running ones: the oldest match whose parent is not itself
 * a match (httpd's parent, not its workers). With a pidfile, only the process it names, if it matches.
 */
export function choose(
  rule: EntryRule,
  argsTest: ((commandLine: string) => boolean) | null,
  procs: readonly ProcInfo[],
  pidfilePid: number | null,
): ProcInfo | null {
  if (rule.pidfile !== null) {
    if (pidfilePid === null) return null;
    const named = procs.find((proc) => proc.pid === pidfilePid);
    return named !== undefined && matches(rule, argsTest, named) ? named : null;
  }
  const candidates = procs.filter((proc) => matches(rule, argsTest, proc));
  if (candidates.length === 0) return null;
  const matchedPids = new Set(candidates.map((proc) => proc.pid));
  const roots = candidates.filter((proc) => !matchedPids.has(proc.ppid));
  const pool = roots.length > 0 ? roots : candidates;
  return pool.reduce((oldest, proc) =>
    proc.startTime < oldest.startTime || (proc.startTime === oldest.startTime && proc.pid < oldest.pid) ? proc : oldest,
  );
}
