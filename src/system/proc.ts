// Reading process facts from /proc directly: the hot path, no child process.
import { closeSync, openSync, readdirSync, readFileSync, readlinkSync, readSync } from 'node:fs';

/** The fields of /proc/<pid>/stat pcheck uses. startTime is in clock ticks since boot (field 22). */
export interface StatFields {
  readonly pid: number;
  readonly comm: string;
  readonly state: string;
  readonly ppid: number;
  readonly startTime: number;
}

/** Everything discovery matches on. exe is null when the kernel hides it (another user's process). */
export interface ProcInfo extends StatFields {
  readonly exe: string | null;
  readonly argv: readonly string[];
  readonly uid: number | null;
}

export type Liveness = 'alive' | 'zombie' | 'gone';

// comm may contain blanks and parentheses: it ends at the last ')'.
export function parseStat(text: string): StatFields | null {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return null;
  const rest = text.slice(close + 2).split(' ');
  // rest[0] is field 3 (state); field n is rest[n - 3]
  const startTime = Number(rest[19]);
  const pid = Number(text.slice(0, open).trim());
  if (!Number.isFinite(startTime) || !Number.isInteger(pid)) return null;
  return { pid, comm: text.slice(open + 1, close), state: rest[0] ?? '?', ppid: Number(rest[1]), startTime };
}

/** State letter from a stat text, without parsing the rest. */
export function stateOf(text: string): string {
  const close = text.lastIndexOf(')');
  return close < 0 ? '?' : text.charAt(close + 2);
}

export function readStat(pid: number, root = '/proc'): StatFields | null {
  try {
    return parseStat(readFileSync(`${root}/${pid}/stat`, 'latin1'));
  } catch {
    return null;
  }
}

export function listPids(root = '/proc'): number[] {
  const pids: number[] = [];
  for (const name of readdirSync(root)) {
    const code = name.charCodeAt(0);
    if (code >= 48 && code <= 57) pids.push(Number(name));
  }
  return pids;
}

export function readExe(pid: number, root = '/proc'): string | null {
  try {
    const target = readlinkSync(`${root}/${pid}/exe`);
    return target.endsWith(' (deleted)') ? target.slice(0, -' (deleted)'.length) : target;
  } catch {
    return null;
  }
}

export function readArgv(pid: number, root = '/proc'): string[] {
  try {
    const raw = readFileSync(`${root}/${pid}/cmdline`, 'utf8');
    const parts = raw.split('\0');
    if (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
    return parts;
  } catch {
    return [];
  }
}

export function readUid(pid: number, root = '/proc'): number | null {
  try {
    const status = readFileSync(`${root}/${pid}/status`, 'latin1');
    const match = /^Uid:\s+(\d+)/m.exec(status);
    return match ? Number(match[1]) : null;
  } catch {
    return null;
  }
}

/**
 * An open /proc/<pid>/stat: reads through it always describe the process it was opened for,
 * and fail with ESRCH once that process is reaped, even if its pid has been given to another.
 */
export class StatHandle {
  private static readonly buffer = Buffer.alloc(1024);

  private constructor(
    readonly pid: number,
    readonly startTime: number,
    private fd: number | null,
    private readonly root: string,
  ) {}

  /** Opens a handle and confirms the process is the one seen (same start time); null if not. */
  static open(pid: number, startTime: number, root = '/proc'): StatHandle | null {
    let fd: number | null = null;
    try {
      fd = openSync(`${root}/${pid}/stat`, 'r');
    } catch (error) {
      // out of descriptors: fall back to reading by path and comparing the start time
      if ((error as NodeJS.ErrnoException).code !== 'EMFILE' && (error as NodeJS.ErrnoException).code !== 'ENFILE') return null;
    }
    const handle = new StatHandle(pid, startTime, fd, root);
    const first = handle.readText();
    const fields = first === null ? null : parseStat(first);
    if (fields === null || fields.startTime !== startTime) {
      handle.close();
      return null;
    }
    return handle;
  }

  /** alive, zombie (state Z or X), or gone (reaped, or the pid now belongs to another process). */
  check(): Liveness {
    const text = this.readText();
    if (text === null) return 'gone';
    if (this.fd === null) {
      const fields = parseStat(text);
      if (fields === null || fields.startTime !== this.startTime) return 'gone';
      return fields.state === 'Z' || fields.state === 'X' ? 'zombie' : 'alive';
    }
    const state = stateOf(text);
    return state === 'Z' || state === 'X' ? 'zombie' : 'alive';
  }

  close(): void {
    if (this.fd !== null) {
      try {
        closeSync(this.fd);
      } catch {
        // already closed
      }
      this.fd = null;
    }
  }

  private readText(): string | null {
    try {
      if (this.fd === null) return readFileSync(`${this.root}/${this.pid}/stat`, 'latin1');
      const length = readSync(this.fd, StatHandle.buffer, 0, StatHandle.buffer.length, 0);
      return StatHandle.buffer.toString('latin1', 0, length);
    } catch {
      return null;
    }
  }
}
