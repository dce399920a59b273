// Whether pcheck could write its structured log at a path, tried for real and undone: access(2)
// says yes to root for /proc or a read-only mount, where the open itself then fails.
import { closeSync, constants, existsSync, mkdtempSync, openSync, rmdirSync, unlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Why `path` cannot be opened for appending (as pino would, creating directories), or null when it can. Leaves nothing behind. */
export function logFileProblem(path: string): string | null {
  try {
    closeSync(openSync(path, constants.O_WRONLY | constants.O_APPEND | constants.O_NOCTTY | constants.O_NONBLOCK));
    return null;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') return reason(error);
  }
  const dir = dirname(path);
  try {
    if (existsSync(dir)) {
      closeSync(openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600));
      unlinkSync(path);
      return null;
    }
    // pino creates missing directories: the nearest one that exists must take a new one
    let ancestor = dirname(dir);
    while (!existsSync(ancestor) && dirname(ancestor) !== ancestor) ancestor = dirname(ancestor);
    rmdirSync(mkdtempSync(join(ancestor, '.pcheck-log-check-')));
    return null;
  } catch (error) {
    return reason(error);
  }
}

function reason(error: unknown): string {
  return (error as NodeJS.ErrnoException).code ?? (error as Error).message;
}
