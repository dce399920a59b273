// A full scan of /proc for discovery, remembering the slow facts (exe, argv, uid) of each process.
import { listPids, readArgv, readExe, readStat, readUid, type ProcInfo } from './proc.js';

interface Remembered {
  readonly exe: string | null;
  readonly argv: readonly string[];
  readonly uid: number | null;
  readonly firstSeen: number;
}

/** A process rewrites its title or drops privileges just after it starts: facts are re-read until it is this old. */
const SETTLE_MS = 2000;

export class ProcessScanner {
  private remembered = new Map<string, Remembered>();

  constructor(
    private readonly monotonicNow: () => number,
    private readonly root = '/proc',
    private readonly selfPid = process.pid,
  ) {}

  /** Every process but pcheck itself, with the facts matching needs. */
  scan(): ProcInfo[] {
    const now = this.monotonicNow();
    const next = new Map<string, Remembered>();
    const procs: ProcInfo[] = [];
    for (const pid of listPids(this.root)) {
      if (pid === this.selfPid) continue;
      const stat = readStat(pid, this.root);
      if (stat === null) continue;
      const key = `${pid}:${stat.startTime}`;
      let facts = this.remembered.get(key);
      if (facts === undefined || now - facts.firstSeen < SETTLE_MS) {
        facts = {
          exe: readExe(pid, this.root),
          argv: readArgv(pid, this.root),
          uid: readUid(pid, this.root),
          firstSeen: facts?.firstSeen ?? now,
        };
      }
      next.set(key, facts);
      procs.push({ ...stat, exe: facts.exe, argv: facts.argv, uid: facts.uid });
    }
    this.remembered = next;
    return procs;
  }
}
