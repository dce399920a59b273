// The one place the pfile layer touches the file system: reading the pfile and the facts parse() asks.
import { accessSync, closeSync, constants, fstatSync, openSync, readFileSync, readSync, statSync, type Stats } from 'node:fs';
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
  const refuse = (message: string): PfileText => ({ error: { file, line: 0, severity: 'error', message } });
  let descriptor: number;
  try {
    descriptor = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // a Unix socket cannot be opened at all (ENXIO): say what it is
    const kind = code === 'ENXIO' ? kindOf(file) : null;
    return refuse(kind === null ? `cannot read the pfile: ${code ?? (error as Error).message}` : notRegular(kind));
  }
  try {
    const stats = fstatSync(descriptor);
    if (!stats.isFile()) return refuse(notRegular(describeKind(stats)));
    if (stats.size > LIMITS.pfileBytes) return refuse(tooLarge(`${stats.size} bytes`));
    const buffer = Buffer.allocUnsafe(LIMITS.pfileBytes + 1);
    let length = 0;
    for (;;) {
      const got = readSync(descriptor, buffer, length, buffer.length - length, null);
      length += got;
      if (got === 0 || length === buffer.length) break;
    }
    // the file grew after fstat, or says size 0 and is not (a /proc file)
    if (length > LIMITS.pfileBytes) return refuse(tooLarge(`more than ${LIMITS.pfileBytes} bytes`));
    return { text: buffer.toString('utf8', 0, length) };
  } catch (error) {
    return refuse(`cannot read the pfile: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  } finally {
    closeSync(descriptor);
  }
}

function notRegular(kind: string): string {
  return `cannot read the pfile: it is ${kind}; the pfile must be a regular file (or a symbolic link to one)`;
}

function tooLarge(size: string): string {
  return `the pfile is ${size}, over the limit of ${LIMITS.pfileBytes} bytes (${LIMITS.pfileBytes / 1024} KiB); a pfile is a few KB: check that -f names the pfile`;
}

function kindOf(file: string): string | null {
  try {
    return describeKind(statSync(file));
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
