// Running a restart script. Written on node:child_process rather than execa: the attempt must end
// when the script's own process exits, even while a daemon it started still holds its stdout
// (execa's promise waits for the streams to close), and a timeout must signal the script's whole
// process group, not only its pid.
import { spawn, type ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import { after } from './timers.js';

export interface ScriptResult {
  readonly outcome: 'ok' | 'failed' | 'timeout';
  /** How it ended: `exit=0`, `exit=2`, `signal=SIGSEGV`, or the spawn error. */
  readonly status: string;
  /** For a timeout, the signal that ended the group. */
  readonly endedBy: 'SIGTERM' | 'SIGKILL' | null;
  /** stdout and stderr interleaved, at most outputLimit bytes, and whether more was dropped. */
  readonly output: string;
  readonly truncated: boolean;
}

export interface ScriptOptions {
  readonly env: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  readonly killGraceMs?: number;
  readonly outputLimit?: number;
}

/** Runs `path` in its own process group with stdin from /dev/null; resolves when the script itself exits. */
export function runScript(path: string, options: ScriptOptions): Promise<ScriptResult> {
  const killGraceMs = options.killGraceMs ?? 5000;
  const outputLimit = options.outputLimit ?? 4096;
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let kept = 0;
    let truncated = false;
    let endedBy: ScriptResult['endedBy'] = null;
    let settled = false;

    let child: ChildProcess;
    try {
      child = spawn(path, [], {
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, ...options.env },
      });
    } catch (error) {
      resolve({ outcome: 'failed', status: `spawn error: ${(error as Error).message}`, endedBy: null, output: '', truncated: false });
      return;
    }
    // First: a spawn that fails (EMFILE: no descriptor for the pipes) reports here, with no stdio at all
    child.on('error', (error) => finish('failed', `spawn error: ${error.message}`));

    const collect = (chunk: Buffer): void => {
      if (settled) return; // drained and dropped: a daemon started by the script may write here for ever
      const room = outputLimit - kept;
      if (room <= 0) {
        truncated = true;
        return;
      }
      const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
      if (part.length < chunk.length) truncated = true;
      chunks.push(part);
      kept += part.length;
    };
    for (const stream of [child.stdout, child.stderr]) {
      stream?.on('data', collect);
      stream?.on('error', () => undefined);
    }

    const finish = (outcome: ScriptResult['outcome'], status: string): void => {
      if (settled) return;
      settled = true;
      cancelTimeout();
      // Keep draining so a daemon holding the pipe never blocks or gets SIGPIPE, but let pcheck exit.
      (child.stdout as Socket | null)?.unref();
      (child.stderr as Socket | null)?.unref();
      resolve({ outcome, status, endedBy, output: Buffer.concat(chunks).toString('utf8'), truncated });
    };

    const signalGroup = (signal: 'SIGTERM' | 'SIGKILL'): void => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, signal);
        if (!settled) endedBy = signal;
      } catch {
        // the group is already gone
      }
    };

    // TERM at the timeout; KILL to whatever is left of the group killGraceMs later, even if the script is gone.
    const cancelTimeout = after(options.timeoutMs, () => {
      signalGroup('SIGTERM');
      setTimeout(() => signalGroup('SIGKILL'), killGraceMs).unref();
    });

    child.on('exit', (code, signal) => {
      if (endedBy !== null) finish('timeout', signal !== null ? `signal=${signal}` : `exit=${code}`);
      else if (code === 0) finish('ok', 'exit=0');
      else finish('failed', signal !== null ? `signal=${signal}` : `exit=${code}`);
    });
  });
}

/**
 * `run`, spawning at most one script per turn of the event loop (setImmediate): spawn() blocks
 * until the child has exec'd, so a burst of restarts started in one go would hold the liveness tick
 * up for all of them; queued, due timers run between any two.
 */
export function pacedScripts(run: typeof runScript = runScript): typeof runScript {
  return paced(run, 1);
}

/**
 * `start`, called at most `perTurn` times per turn of the event loop (setImmediate): a thousand
 * calls asked for at once (restart scripts, stall probes of blocks that fell due together) are
 * started a few at a time, and the timers due meanwhile (the liveness tick) run between them.
 */
export function paced<A extends unknown[], R>(start: (...args: A) => Promise<R>, perTurn: number): (...args: A) => Promise<R> {
  const queue: (() => void)[] = [];
  let draining = false;
  // after a batch, the next one waits for the next turn even if it is asked for in this one
  const drain = (): void => {
    if (queue.length === 0) {
      draining = false;
      return;
    }
    for (const next of queue.splice(0, perTurn)) next();
    setImmediate(drain);
  };
  return (...args) =>
    new Promise((resolve, reject) => {
      queue.push(() => {
        try {
          start(...args).then(resolve, reject);
        } catch (error) {
          reject(error as Error);
        }
      });
      if (draining) return;
      draining = true;
      drain();
    });
}
