// Running a restart script. Written on node:child_process rather than execa: the attempt must end
// when the script's own process exits, even while a daemon it started still holds its stdout
// (execa's promise waits for the streams to close), and a timeout must signal the script's whole
// process group, not only its pid.
import { spawn } from 'node:child_process';
import type { Socket } from 'node:net';

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

    const child = spawn(path, [], {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...options.env },
    });

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
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.stdout.on('error', () => undefined);
    child.stderr.on('error', () => undefined);

    const finish = (outcome: ScriptResult['outcome'], status: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timeoutTimer);
      // Keep draining so a daemon holding the pipe never blocks or gets SIGPIPE, but let pcheck exit.
      (child.stdout as Socket).unref();
      (child.stderr as Socket).unref();
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
    const timeoutTimer = setTimeout(() => {
      signalGroup('SIGTERM');
      setTimeout(() => signalGroup('SIGKILL'), killGraceMs).unref();
    }, options.timeoutMs);

    child.on('error', (error) => finish('failed', `spawn error: ${error.message}`));
    child.on('exit', (code, signal) => {
      if (endedBy !== null) finish('timeout', signal !== null ? `signal=${signal}` : `exit=${code}`);
      else if (code === 0) finish('ok', 'exit=0');
      else finish('failed', signal !== null ? `signal=${signal}` : `exit=${code}`);
    });
  });
}
