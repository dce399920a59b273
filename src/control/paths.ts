// Where the control socket and lock of a pfile live. Both pcheck and padmin derive them the same way.
import { realpathSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { sha256Hex } from './sha256.js';

/** sun_path holds 108 bytes including the terminating NUL. */
const SUN_PATH_MAX = 107;

export interface RunPaths {
  readonly dir: string;
  readonly socket: string;
  /**
   * What the one-pcheck-per-pfile lock is taken on: the pfile's real path, and its device and inode
   * (when it can be stat'ed). The daemon turns them into lock names with its run directory's key.
   */
  readonly lockIds: readonly string[];
}

/** The run directory: $PCHECK_RUN_DIR, else /run/pcheck for root, else $XDG_RUNTIME_DIR/pcheck or /tmp/pcheck-<uid>. */
export function runDir(env: NodeJS.ProcessEnv = process.env, uid = process.getuid?.() ?? 0): string {
  if (env.PCHECK_RUN_DIR) return env.PCHECK_RUN_DIR;
  if (uid === 0) return '/run/pcheck';
  if (env.XDG_RUNTIME_DIR) return `${env.XDG_RUNTIME_DIR}/pcheck`;
  return `/tmp/pcheck-${uid}`;
}

/**
 * The structured log of a pfile: LogFile's path; for `default`, <log dir>/<the pfile's real path
 * with / as _>.log, the log dir being $PCHECK_LOG_DIR, else /var/log/pcheck for root, else
 * $XDG_STATE_HOME/pcheck or ~/.local/state/pcheck; null for `none`.
 */
export function logFilePath(setting: string, absolutePfile: string, env: NodeJS.ProcessEnv = process.env, uid = process.getuid?.() ?? 0): string | null {
  if (setting === 'none') return null;
  if (setting !== 'default') return setting;
  const dir = env.PCHECK_LOG_DIR || (uid === 0 ? '/var/log/pcheck' : `${env.XDG_STATE_HOME || `${env.HOME ?? '/tmp'}/.local/state`}/pcheck`);
  // named from the real path, as the socket is: pcheck and padmin agree whatever spelling each was given
  const real = realPfile(absolutePfile);
  let name = real.replace(/^\/+/, '').replace(/[^A-Za-z0-9._-]/g, '_');
  if (name.length > 200) name = `${name.slice(-180)}-${sha256Hex(real).slice(0, 16)}`;
  return `${dir}/${name}.log`;
}

/**
 * Where the alert queues of a pfile are spooled: $PCHECK_SPOOL_DIR, else /var/spool/pcheck for root,
 * else $XDG_STATE_HOME/pcheck/spool or ~/.local/state/pcheck/spool; one directory per pfile in it,
 * named like its socket. On disk, not in /run: an alert about a retry over that ends in a reboot must
 * still go out after the reboot.
 */
export function spoolDir(absolutePfile: string, env: NodeJS.ProcessEnv = process.env, uid = process.getuid?.() ?? 0): string {
  const base = env.PCHECK_SPOOL_DIR || (uid === 0 ? '/var/spool/pcheck' : `${env.XDG_STATE_HOME || `${env.HOME ?? '/tmp'}/.local/state`}/pcheck/spool`);
  const real = realPfile(absolutePfile);
  const hash = sha256Hex(real).slice(0, 16);
  return `${base}/${basename(real).replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 24)}-${hash}`;
}

/**
 * Run directories where another user's pcheck of the pfile may listen, for a padmin that finds none
 * in its own: root's, when padmin is not root and PCHECK_RUN_DIR does not choose the directory.
 * PCHECK_ROOT_RUN_DIR names root's run directory in place of /run/pcheck (for tests).
 */
export function otherRunDirs(env: NodeJS.ProcessEnv = process.env, uid = process.getuid?.() ?? 0): string[] {
  if (env.PCHECK_RUN_DIR || uid === 0) return [];
  return [env.PCHECK_ROOT_RUN_DIR || '/run/pcheck'];
}

/**
 * The pfile as its lock and socket know it: the real path (symbolic links resolved), so that every
 * spelling of one file reaches one pcheck; the absolute path as given when it does not resolve (a
 * pfile deleted under its pcheck).
 */
export function realPfile(absolutePfile: string): string {
  try {
    return realpathSync(absolutePfile);
  } catch {
    return absolutePfile;
  }
}

/** Paths for a pfile, named from its real path. Throws when the socket path would not fit sun_path. */
export function runPaths(absolutePfile: string, dir = runDir()): RunPaths {
  const real = realPfile(absolutePfile);
  const hash = sha256Hex(real).slice(0, 16);
  const stem = basename(real).replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 24);
  const socket = `${dir}/${stem}-${hash}.sock`;
  if (Buffer.byteLength(socket) > SUN_PATH_MAX) {
    throw new Error(`control socket path too long for a Unix socket (${Buffer.byteLength(socket)} > ${SUN_PATH_MAX} bytes): ${socket}; set PCHECK_RUN_DIR to a shorter directory`);
  }
  const lockIds = [`path-${hash}`];
  // a hard link has a real path of its own: the inode catches it
  const identity = fileIdentity(real);
  if (identity !== null) lockIds.push(`inode-${identity}`);
  return { dir, socket, lockIds };
}

function fileIdentity(path: string): string | null {
  try {
    const stat = statSync(path, { bigint: true });
    return `${stat.dev}-${stat.ino}`;
  } catch {
    return null;
  }
}
