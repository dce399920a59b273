// A full scan of /proc for discovery, remembering the slow facts (exe, argv, uid) of each process.
import { performance } from 'node:perf_hooks';
import { listPids, readArgv, readExe, readStat, readUid, type ProcInfo } from './proc.js';

interface Remembered {
  readonly exe: string | null;
  readonly argv: readonly string[];
  readonly uid: number | null;
  readonly firstSeen: number;
}

/** A process rewrites its title or drops privileges just after it starts: facts are re-read until it is this old. */
const SETTLE_MS = 2000;

/** A sliced scan reads for at most this long before it lets timers run: well under the liveness tick's 50 ms bound. */
const SLICE_MS = 10;

export class ProcessScanner {
  private remembered = new Map<string, Remembered>();

  constructor(
    private readonly monotonicNow: () => number,
    private readonly root = '/proc',
    private readonly selfPid = process.pid,
  ) {}

  /** Every process but pcheck itself, with the facts matching needs. */
  scan(): ProcInfo[] {
    const pass = this.begin();
    for (const pid of pass.pids) this.read(pid, pass);
    return this.end(pass);
  }

  /**
   * The same scan in slices of at most `sliceMs` of reading each, the event loop free between them
   * (setImmediate: due timers, the liveness tick first, run before the next slice). Rejects with
   * ProcUnreadable as scan() throws it.
   */
  async scanInSlices(sliceMs = SLICE_MS): Promise<ProcInfo[]> {
    const pass = this.begin();
    let sliceStart = performance.now();
    for (const pid of pass.pids) {
      if (performance.now() - sliceStart >= sliceMs) {
        await new Promise((resolve) => setImmediate(resolve));
        sliceStart = performance.now();
      }
      this.read(pid, pass);
    }
    return this.end(pass);
  }

  private begin(): Pass {
    return { pids: listPids(this.root), now: this.monotonicNow(), next: new Map(), procs: [] };
  }

  private read(pid: number, pass: Pass): void {
    if (pid === this.selfPid) return;
    const stat = readStat(pid, this.root);
    if (stat === null) return;
    const key = `${pid}:${stat.startTime}`;
    let facts = this.remembered.get(key);
    if (facts === undefined || pass.now - facts.firstSeen < SETTLE_MS) {
      facts = {
        exe: readExe(pid, this.root),
        argv: readArgv(pid, this.root),
        uid: readUid(pid, this.root),
        firstSeen: facts?.firstSeen ?? pass.now,
      };
    }
    pass.next.set(key, facts);
    pass.procs.push({ ...stat, exe: facts.exe, argv: facts.argv, uid: facts.uid });
  }

  private end(pass: Pass): ProcInfo[] {
    this.remembered = pass.next;
    return pass.procs;
  }
}

interface Pass {
  readonly pids: readonly number[];
  readonly now: number;
  readonly next: Map<string, Remembered>;
  readonly procs: ProcInfo[];
}
