// Files pcheck reads and writes where others may have put something else: a read never blocks (a
// FIFO in a file's place) nor grows without bound (/dev/zero), a write never follows a planted link.
import { closeSync, constants, fstatSync, openSync, readSync, renameSync, rmSync, statSync, writeFileSync, type Stats } from 'node:fs';

/** Why a file was not read: the open failed (its errno code), it is not a regular file (what it is), or it is too large. */
export type ReadRefusal =
  | { readonly reason: 'open'; readonly code: string }
  | { readonly reason: 'notRegular'; readonly kind: string }
  | { readonly reason: 'tooLarge'; readonly size: string };

export type FileRead = { readonly text: string } | { readonly refused: ReadRefusal };

/**
 * The text of the regular file at `path` (a symbolic link to one is followed), at most `maxBytes`.
 * Opened without waiting (O_NONBLOCK: a FIFO's open would wait for a writer), then fstat'ed, and at
 * most maxBytes + 1 bytes read, so a file that says size 0 and is not (/proc) is caught too.
 */
export function readRegularFile(path: string, maxBytes: number): FileRead {
  let descriptor: number;
  try {
    descriptor = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    // a Unix socket cannot be opened at all (ENXIO): say what it is
    const kind = code === 'ENXIO' ? kindOf(path) : null;
    return { refused: kind === null ? { reason: 'open', code } : { reason: 'notRegular', kind } };
  }
  try {
    const stats = fstatSync(descriptor);
    if (!stats.isFile()) return { refused: { reason: 'notRegular', kind: describeKind(stats) } };
    if (stats.size > maxBytes) return { refused: { reason: 'tooLarge', size: `${stats.size} bytes` } };
    const buffer = Buffer.allocUnsafe(maxBytes + 1);
    let length = 0;
    for (;;) {
      const got = readSync(descriptor, buffer, length, buffer.length - length, null);
      length += got;
      if (got === 0 || length === buffer.length) break;
    }
    if (length > maxBytes) return { refused: { reason: 'tooLarge', size: `more than ${maxBytes} bytes` } };
    return { text: buffer.toString('utf8', 0, length) };
  } catch (error) {
    return { refused: { reason: 'open', code: (error as NodeJS.ErrnoException).code ?? (error as Error).message } };
  } finally {
    closeSync(descriptor);
  }
}

/** A refusal as a few words: `ENOENT`, `a FIFO, not a regular file`, `12345 bytes, over 4096`. */
export function describeRefusal(refused: ReadRefusal, maxBytes: number): string {
  switch (refused.reason) {
    case 'open':
      return refused.code;
    case 'notRegular':
      return `${refused.kind}, not a regular file`;
    case 'tooLarge':
      return `${refused.size}, over the limit of ${maxBytes}`;
  }
}

function kindOf(path: string): string | null {
  try {
    return describeKind(statSync(path));
  } catch {
    return null;
  }
}

function describeKind(stats: Stats): string {
  if (stats.isFIFO()) return 'a FIFO';
  if (stats.isDirectory()) return 'a directory';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isSocket()) return 'a socket';
  return 'not a regular file';
}

/**
 * Writes `text` to `path` atomically, mode 0600. The temporary file is created exclusively
 * (O_CREAT|O_EXCL, which also refuses a symbolic link), so a link planted under its name cannot
 * redirect the write; a failed write leaves the old file and no temporary one.
 */
export function writeFileAtomically(path: string, text: string): void {
  const temporary = `${path}.${process.pid}.tmp`;
  // a temporary left by an earlier pcheck with this pid, or planted: ours to remove if we may
  rmSync(temporary, { force: true });
  try {
    writeFileSync(temporary, text, { mode: 0o600, flag: 'wx' });
    renameSync(temporary, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') rmSync(temporary, { force: true });
    throw error;
  }
}
