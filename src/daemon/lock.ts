// One pcheck per pfile. The lock is a listening socket in Linux's abstract namespace: binding it is
// atomic, the kernel releases it whenever its holder exits (kill -9 included), so a stale lock
// cannot exist, and a refused starter can ask the holder for its pid through it. A pfile is locked
// under several names (its real path, its inode): any one of them already held refuses the start.
// Any local user may bind any abstract name: the names are keyed with a secret kept in the run
// directory (0700), so nobody but pcheck's own user can compute, and squat, them.
import { createHmac, randomBytes } from 'node:crypto';
import { linkSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createConnection, createServer, type Server } from 'node:net';
import { readRegularFile } from '../system/files.js';

const KEY_FILE = 'lock.key';

/**
 * The run directory's lock key, made on first use. It is written to a temporary file and linked
 * into place, so two pchecks starting at once agree on one key and neither reads a half-written one.
 */
export function runDirKey(dir: string): string {
  const path = join(dir, KEY_FILE);
  const existing = readKey(path);
  if (existing !== null) return existing;
  const temporary = `${path}.${process.pid}.tmp`;
  rmSync(temporary, { force: true });
  writeFileSync(temporary, `${randomBytes(16).toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  try {
    linkSync(temporary, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    rmSync(temporary, { force: true });
  }
  const made = readKey(path);
  if (made === null) throw new Error(`cannot read the lock key ${path} just made`);
  return made;
}

// null when there is no key file; throws when there is one pcheck cannot use
function readKey(path: string): string | null {
  const read = readRegularFile(path, 64);
  if ('refused' in read) {
    if (read.refused.reason === 'open' && read.refused.code === 'ENOENT') return null;
    throw new Error(`the lock key ${path} cannot be read; remove it while no pcheck runs with this run directory`);
  }
  const key = read.text.trim();
  if (!/^[0-9a-f]{32}$/.test(key)) throw new Error(`the lock key ${path} is damaged; remove it while no pcheck runs with this run directory`);
  return key;
}

/** The abstract socket names of the lock on `ids` (RunPaths.lockIds), under the run directory's key. */
export function lockNames(key: string, ids: readonly string[]): string[] {
  return ids.map((id) => `\0pcheck-lock-${createHmac('sha256', key).update(id).digest('hex').slice(0, 32)}`);
}

export class AlreadyRunning extends Error {
  constructor(readonly pid: number | null) {
    super(pid === null ? 'another pcheck is already running for this pfile' : `another pcheck (pid ${pid}) is already running for this pfile`);
  }
}

export interface Lock {
  release(): Promise<void>;
}

/** Takes the lock under every one of `names`, or none of them: rejects with AlreadyRunning naming the holder's pid. */
export async function acquireLock(names: readonly string[]): Promise<Lock> {
  const held: Server[] = [];
  const release = (): Promise<void> =>
    Promise.all(held.splice(0).map((server) => new Promise<void>((resolve) => server.close(() => resolve())))).then(() => undefined);
  for (const name of names) {
    const server = createServer((socket) => {
      socket.end(`${process.pid}\n`);
      socket.on('error', () => undefined);
    });
    server.unref();
    try {
      await listen(server, name);
    } catch (error) {
      await release();
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
      throw new AlreadyRunning(await askHolder(name));
    }
    held.push(server);
  }
  return { release };
}

function listen(server: Server, name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(name, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function askHolder(name: string): Promise<number | null> {
  return new Promise((resolve) => {
    let text = '';
    const socket = createConnection(name);
    const timer = setTimeout(() => socket.destroy(), 1000);
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (text += chunk));
    socket.on('close', () => {
      clearTimeout(timer);
      const pid = Number.parseInt(text, 10);
      resolve(Number.isInteger(pid) ? pid : null);
    });
    socket.on('error', () => undefined);
  });
}
