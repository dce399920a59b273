// One pcheck per pfile. The lock is a listening socket in Linux's abstract namespace: binding it is
// atomic, the kernel releases it whenever its holder exits (kill -9 included), so a stale lock
// cannot exist, and a refused starter can ask the holder for its pid through it. A pfile is locked
// under several names (its real path, its inode): any one of them already held refuses the start.
import { createConnection, createServer, type Server } from 'node:net';

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
