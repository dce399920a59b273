// Which processes a test started, read from /proc, so that it signals only those; and the guard a
// test runs before a template whose restart script kills by name (pkill -x apache2) may run.
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcessInfo {
  readonly pid: number;
  readonly ppid: number;
  /** Session id: a daemon's children keep their master's session after the master is gone. */
  readonly sid: number;
  /** The name pkill -x matches (15 characters at most). */
  readonly comm: string;
  readonly state: string;
  readonly argv: readonly string[];
  /** Empty when unreadable (another user's process, a zombie). */
  readonly environ: readonly string[];
}

/** Every live (not zombie) process on the machine, from /proc. */
export function processes(): ProcessInfo[] {
  const found: ProcessInfo[] = [];
  for (const name of readdirOrEmpty('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const info = readProcess(Number(name));
    if (info !== null && info.state !== 'Z') found.push(info);
  }
  return found;
}

function readProcess(pid: number): ProcessInfo | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const close = stat.lastIndexOf(')');
    const comm = stat.slice(stat.indexOf('(') + 1, close);
    const [state = '', ppid = '0', , sid = '0'] = stat.slice(close + 2).split(' ');
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((arg) => arg !== '');
    let environ: string[] = [];
    try {
      environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').filter((entry) => entry !== '');
    } catch {
      // another user's process, without root
    }
    return { pid, ppid: Number(ppid), sid: Number(sid), comm, state, argv, environ };
  } catch {
    return null;
  }
}

function readdirOrEmpty(path: string): string[] {
  try {
    return readdirSync(path);
  } catch {
    return [];
  }
}

/** Blocks until every pid is dead or a zombie, at most `timeoutMs`: SIGKILL takes effect a little later. */
export function waitGone(pids: readonly number[], timeoutMs = 5000): void {
  const deadline = Date.now() + timeoutMs;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  const alive = (pid: number): boolean => (readProcess(pid)?.state ?? 'Z') !== 'Z';
  while (pids.some(alive) && Date.now() < deadline) Atomics.wait(pause, 0, 0, 10);
}

/**
 * Tagged by the sandbox `dir`, a unique temp path: it appears in an argument (fixtures, scripts,
 * `-c <dir>/nginx.conf`, `-Dcatalina.base=<dir>/...`) or in an environment value (PCHECK_RUN_DIR and
 * the like, which restart scripts pass on to what they start).
 */
export function taggedBy(info: ProcessInfo, dir: string): boolean {
  return info.argv.some((arg) => arg.includes(dir)) || info.environ.some((entry) => entry.slice(entry.indexOf('=') + 1).includes(dir));
}

/** `root` and its descendants (by parent pid) in `all`. */
export function treeOf(root: number, all: readonly ProcessInfo[] = processes()): number[] {
  const tree = [root];
  for (let index = 0; index < tree.length; index += 1) {
    for (const info of all) if (info.ppid === tree[index] && !tree.includes(info.pid)) tree.push(info.pid);
  }
  return tree;
}

/**
 * Sends `signal` to `root` and every descendant, parents first, rescanning until no new descendant
 * appears (a master stopped first cannot fork another worker). Nothing outside the tree is touched.
 */
export function signalTree(root: number, signal: NodeJS.Signals): number[] {
  const signalled: number[] = [];
  for (let round = 0; round < 10; round += 1) {
    const fresh = treeOf(root).filter((pid) => !signalled.includes(pid));
    if (fresh.length === 0) break;
    for (const pid of fresh) {
      try {
        process.kill(pid, signal);
        signalled.push(pid);
      } catch {
        // gone meanwhile
      }
    }
  }
  return signalled;
}

/**
 * The processes one test started: tagged by its sandbox dir, descended from the test process or from
 * a tagged process, or a root the test adopted (with its descendants and its session).
 */
export class Started {
  private readonly roots = new Set<number>();

  constructor(private readonly dir: string) {}

  /**
   * Records a process the test started (e.g. the nginx master named in its own pid file): it, its
   * descendants and its session are the test's. nginx overwrites its environment with its title, so
   * a worker carries no tag; once its master is gone, only the master's session still links it.
   */
  adopt(pid: number): void {
    if (pid > 1) this.roots.add(pid);
  }

  /** Whether `info` is the test's, given the snapshot `all` to walk its ancestors in. */
  owns(info: ProcessInfo, all: ReadonlyMap<number, ProcessInfo>): boolean {
    let current: ProcessInfo | undefined = info;
    for (let depth = 0; current !== undefined && current.pid > 1 && depth < 64; depth += 1) {
      if (current.pid === process.pid || this.roots.has(current.pid) || this.roots.has(current.sid) || taggedBy(current, this.dir)) return true;
      current = all.get(current.ppid);
    }
    return false;
  }

  /** The test's processes that `match`. */
  mine(match: (info: ProcessInfo) => boolean): ProcessInfo[] {
    return this.split(match).mine;
  }

  /** Processes that `match` and that the test did not start. */
  others(match: (info: ProcessInfo) => boolean): ProcessInfo[] {
    return this.split(match).others;
  }

  /** SIGKILLs the test's processes that `match`, and waits until they are dead; returns their pids. */
  kill(match: (info: ProcessInfo) => boolean): number[] {
    const killed: number[] = [];
    for (const info of this.mine(match)) {
      try {
        process.kill(info.pid, 'SIGKILL');
        killed.push(info.pid);
      } catch {
        // gone meanwhile
      }
    }
    waitGone(killed);
    return killed;
  }

  /**
   * Throws, naming them, when processes that `match` run that the test did not start: `what` is about
   * to kill every such process on the machine (a template's pkill), so the test must not run here.
   */
  refuseOthers(what: string, match: (info: ProcessInfo) => boolean, remedy: string): void {
    const others = this.others(match);
    if (others.length === 0) return;
    const listed = others.map((info) => `pid ${info.pid} (${info.argv.join(' ') || info.comm})`).join(', ');
    throw new Error(`refusing to run: ${what}; ${others.length === 1 ? 'a process' : 'processes'} this test did not start would be hit: ${listed}. ${remedy}`);
  }

  private split(match: (info: ProcessInfo) => boolean): { mine: ProcessInfo[]; others: ProcessInfo[] } {
    const all = processes();
    const byPid = new Map(all.map((info) => [info.pid, info]));
    const mine: ProcessInfo[] = [];
    const others: ProcessInfo[] = [];
    for (const info of all) {
      if (info.pid === process.pid || !match(info)) continue;
      (this.owns(info, byPid) ? mine : others).push(info);
    }
    return { mine, others };
  }
}

/** Matches what `pkill -x name` kills: the process name, exactly. */
export const named = (name: string) => (info: ProcessInfo): boolean => info.comm === name;

/** Matches what `pkill -f text` kills when `text` has no regex specials but escaped dots: the command line. */
export const commandLineContains = (text: string) => (info: ProcessInfo): boolean => info.argv.join(' ').includes(text);
