// The one place the pfile layer touches the file system: reading the pfile and the facts parse() asks.
import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse } from './parse.js';
import type { ParseHost, ParseResult } from './types.js';

/** Reads and parses a pfile; an unreadable file is one error at line 0 naming the OS reason. */
export function loadPfile(path: string): ParseResult {
  const file = resolve(path);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    return { config: null, errors: [{ file, line: 0, severity: 'error', message: `cannot read the pfile: ${reason}` }], warnings: [] };
  }
  return parse(text, file, systemHost());
}

/** The real machine: users from /etc/passwd, files checked with stat and access(). */
export function systemHost(passwdPath = '/etc/passwd'): ParseHost {
  let users: Map<string, number> | null = null;
  return {
    resolveUser(name) {
      if (users === null) users = readPasswd(passwdPath);
      return users.get(name);
    },
    checkExecutable: (path) => checkFile(path, constants.X_OK, 'not executable'),
    checkReadable: (path) => checkFile(path, constants.R_OK, 'not readable'),
  };
}

// null when `path` is a regular file this process may use in `mode`, else why not.
function checkFile(path: string, mode: number, denied: string): string | null {
  try {
    if (!statSync(path).isFile()) return 'not a regular file';
    accessSync(path, mode);
    return null;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? denied : (code ?? (error as Error).message);
  }
}

function readPasswd(path: string): Map<string, number> {
  const users = new Map<string, number>();
  try {
    for (const line of readFileSync(path, 'utf8').split('\n')) {
      const [name, , uid] = line.split(':');
      if (name && uid && /^\d+$/.test(uid)) users.set(name, Number(uid));
    }
  } catch {
    // no passwd file: only numeric uids resolve
  }
  return users;
}
