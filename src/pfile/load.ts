// The one place the pfile layer touches the file system: reading the pfile, its alert file, and the
// facts the parsers ask.
import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { ALERT_LIMITS, parseAlertFile, type AlertFileHost } from '../alerts/config.js';
import { readRegularFile } from '../system/files.js';
import { resolve } from 'node:path';
import { parse } from './parse.js';
import { readPfile } from './read.js';
import type { Diagnostic, ParseHost, ParseResult } from './types.js';

/**
 * Reads and parses a pfile and the alert file it names; a pfile that cannot be read is one error at
 * line 0 saying why. The alert file's errors and warnings follow the pfile's, each naming the alert
 * file and its line; any error in either makes the config null, so a reload changes nothing.
 */
export function loadPfile(path: string): ParseResult {
  const file = resolve(path);
  const read = readPfile(file);
  if ('error' in read) return { config: null, errors: [read.error], warnings: [] };
  const host = systemHost();
  const parsed = parse(read.text, file, host);
  return parsed.alertFile ? withAlerts(file, parsed, parsed.alertFile, host) : parsed;
}

/** `parsed` with the alert file at `named` read, parsed and checked against the pfile's entries. */
function withAlerts(pfile: string, parsed: ParseResult, named: { path: string; line: number }, host: AlertFileHost): ParseResult {
  const read = readAlertFile(named.path);
  if ('error' in read) {
    const error: Diagnostic = { file: pfile, line: named.line, severity: 'error', message: `AlertFile ${named.path}: ${read.error}` };
    return { ...parsed, config: null, errors: [...parsed.errors, error] };
  }
  const alerts = parseAlertFile(read.text, named.path, host, parsed.config?.entries);
  const config = parsed.config === null || alerts.config === null ? null : Object.freeze({ ...parsed.config, alerts: alerts.config });
  return { ...parsed, config, errors: [...parsed.errors, ...alerts.errors], warnings: [...parsed.warnings, ...alerts.warnings] };
}

/**
 * The alert file's text, or why not: read as the pfile is (never blocking, at most
 * ALERT_LIMITS.fileBytes), and refused when others may write it (it names commands pcheck runs).
 */
export function readAlertFile(file: string): { readonly text: string } | { readonly error: string } {
  const read = readRegularFile(file, ALERT_LIMITS.fileBytes);
  if ('refused' in read) {
    const { refused } = read;
    if (refused.reason === 'open') {
      return { error: refused.code === 'ENOENT' ? 'no such file; create it, or remove the AlertFile line' : `cannot read it: ${refused.code}` };
    }
    if (refused.reason === 'notRegular') return { error: `it is ${refused.kind}; the alert file must be a regular file (or a symbolic link to one)` };
    return { error: `it is ${refused.size}, over the limit of ${ALERT_LIMITS.fileBytes} bytes (${ALERT_LIMITS.fileBytes / 1024} KiB)` };
  }
  let mode: number;
  try {
    mode = statSync(file).mode;
  } catch (error) {
    return { error: `cannot read it: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}` };
  }
  if ((mode & 0o002) !== 0) {
    return { error: `others may write it (mode ${(mode & 0o7777).toString(8).padStart(4, '0')}), and it names programs pcheck runs; chmod o-w it` };
  }
  return read;
}

// in its own module: padmin reads the pfile (for its LogFile line) without loading the parser
export { readPfile, type PfileText } from './read.js';

/** The real machine: users from /etc/passwd, files checked with stat and access(). */
export function systemHost(passwdPath = '/etc/passwd'): ParseHost & AlertFileHost {
  let users: Map<string, number> | null = null;
  return {
    resolveUser(name) {
      if (users === null) users = readPasswd(passwdPath);
      return users.get(name);
    },
    checkExecutable: remembered((path) => checkFile(path, constants.X_OK, 'not executable')),
    checkReadable: remembered((path) => checkFile(path, constants.R_OK, 'not readable')),
    checkSecret: remembered(checkSecret),
  };
}

// null when `path` is a non-empty regular file this process may read and only its owner may use.
function checkSecret(path: string): string | null {
  const why = checkFile(path, constants.R_OK, 'not readable');
  if (why !== null) return why;
  const { mode, size } = statSync(path);
  if ((mode & 0o077) !== 0) return `mode ${(mode & 0o7777).toString(8).padStart(4, '0')} lets its group or others use it`;
  if (size === 0) return 'empty';
  return null;
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
