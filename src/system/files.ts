// Files pcheck writes where others may write too (DumpFileName in /tmp, say): never through a link
// planted in its way, always whole (a temporary file beside the target, then rename).
import { renameSync, rmSync, writeFileSync } from 'node:fs';

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
