// The one place the pfile layer touches the file system: reading the pfile and the facts parse() asks.
import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { readRegularFile } from '../system/files.js';
import { resolve } from 'node:path';
import { parse } from './parse.js';
import { LIMITS, type Diagnostic, type ParseHost, type ParseResult } from './types.js';

/** Reads and parses a pfile; a pfile that cannot be read is one error at line 0 saying why. */
export function loadPfile(path: string): ParseResult {
  const file = resolve(path);
  const read = readPfile(file);
  if ('error' in read) return { config: null, errors: [read.error], warnings: [] };
  return parse(read.text, file, systemHost());
}

export type PfileText = { readonly text: string } | { readonly error: Diagnostic };

/**
 * The text of the pfile at `file`, or why not. Never blocks: a FIFO, a directory or a device is
 * refused (opened without waiting for a writer, then fstat'ed), and at most LIMITS.pfileBytes + 1
 * bytes are read. A symbolic link to a regular file is read as that file.
 */
export function readPfile(file: string): PfileText {
  const read = readRegularFile(file, LIMITS.pfileBytes);
  if ('text' in read) return read;
  const { refused } = read;
  const message =
    refused.reason === 'open'
      ? `cannot read the pfile: ${refused.code}`
      : refused.reason === 'notRegular'
        ? `cannot read the pfile: it is ${refused.kind}; the pfile must be a regular file (or a symbolic link to one)`
        : `the pfile is ${refused.size}, over the limit of ${LIMITS.pfileBytes} bytes (${LIMITS.pfileBytes / 1024} KiB); a pfile is a few KB: check that -f names the pfile`;
  return { error: { file, line: 0, severity: 'error', message } };
}

/** The real machine: users from /etc/passwd, files checked with stat and access(). */
export function systemHost(passwdPath = '/etc/passwd'): ParseHost {
  let users: Map<string, number> | null = null;
  return {
    resolveUser(name) {
      if (users === null) users = readPasswd(passwdPath);
      return users.get(name);
    },
    checkExecutable: remembered((path) => checkFile(path, constants.X_OK, 'not executable')),
    checkReadable: remembered((path) => checkFile(path, constants.R_OK, 'not readable')),
  };
}

// Each path is checked once per load: a pfile may name one script in many entries.
function remembered(check: (path: string) => string | null): (path: string) => string | null {
  const answers = new Map<string, string | null>();
  return (path) => {
    let answer = answers.get(path);
    if (answer === undefined) {
      answer = check(path);
      answers.set(path, answer);
    }
    return answer;
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
