// Runs the real pcheck and padmin binaries against real processes, each test in its own temp tree.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { processes, taggedBy, waitGone } from './processes.js';

export const ROOT = resolve(import.meta.dirname, '../..');
export const PCHECK = join(ROOT, 'bin/pcheck.js');
export const PADMIN = join(ROOT, 'bin/padmin.js');

export interface Sandbox {
  readonly dir: string;
  readonly env: NodeJS.ProcessEnv;
  /** A copy of /bin/sleep under a unique absolute path: a real process only this test matches. */
  fixture(name: string): string;
  /** Writes an executable shell script. */
  script(name: string, body: string): string;
  file(name: string, text: string): string;
  /** Processes to SIGKILL at cleanup. */
  track(pid: number): void;
  cleanup(): void;
}

export function sandbox(): Sandbox {
  const dir = mkdtempSync(join(tmpdir(), 'pcheck-e2e-'));
  const tracked: number[] = [];
  const env = {
    ...process.env,
    PCHECK_RUN_DIR: join(dir, 'run'),
    PCHECK_LOG_DIR: join(dir, 'log'),
    PCHECK_SPOOL_DIR: join(dir, 'spool'),
    PCHECK_SYSLOG_SOCKET: join(dir, 'no-syslog.sock'),
  };
  return {
    dir,
    env,
    fixture(name) {
      const path = join(dir, name);
      copyFileSync('/bin/sleep', path);
      chmodSync(path, 0o755);
      return path;
    },
    script(name, body) {
      const path = join(dir, name);
      writeFileSync(path, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
      return path;
    },
    file(name, text) {
      const path = join(dir, name);
      writeFileSync(path, text);
      return path;
    },
    track(pid) {
      tracked.push(pid);
    },
    cleanup() {
      for (const pid of tracked) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      // every process tagged by this sandbox; again while a restart script still starts new ones
      const killed = new Set<number>();
      for (let round = 0; round < 10; round += 1) {
        const fresh = pidsUnder(dir).filter((pid) => !killed.has(pid));
        if (fresh.length === 0) break;
        for (const pid of fresh) {
          killed.add(pid);
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // already gone
          }
        }
      }
      // dead before the next test looks for processes of the same name
      waitGone([...tracked, ...killed], 5000);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Pids of every process this sandbox started: `dir` in an argument (fixtures, servers, scripts,
 * configs) or in an environment value, such as the sandbox's PCHECK_RUN_DIR (children of restart
 * scripts, such as `sleep`, and the demo server, whose run script sets PCHECK_RUN_DIR=<dir>/demo/run).
 */
export function pidsUnder(dir: string): number[] {
  return processes()
    .filter((info) => info.pid !== process.pid && taggedBy(info, dir))
    .map((info) => info.pid);
}

/**
 * The common case: a fixture process already running, a restart script that starts it again, and
 * a pfile watching it (with `head`, global lines, first).
 */
export function watchedFixture(box: Sandbox, head = ''): { fixture: string; pfile: string } {
  const fixture = box.fixture('testd');
  const script = box.script('restart.sh', `setsid ${fixture} 1000 >/dev/null 2>&1 &`);
  const pfile = box.file('pfile', `${head}${fixture} ${script} - - - start_wait=5\n`);
  startDetached(fixture);
  return { fixture, pfile };
}

/** A running foreground pcheck whose stderr is collected line by line. */
export class Pcheck {
  readonly child: ChildProcess;
  readonly lines: string[] = [];
  readonly exited: Promise<number | null>;
  private waiters: { pattern: RegExp; from: number; resolve: (line: string) => void }[] = [];

  /** `wrapper` runs pcheck through another command, e.g. setpriv to change user. */
  constructor(pfile: string, env: NodeJS.ProcessEnv, extraArgs: string[] = ['-F'], wrapper: string[] = []) {
    const argv = [...wrapper, process.execPath, PCHECK, ...extraArgs, '-f', pfile];
    this.child = spawn(argv[0] ?? process.execPath, argv.slice(1), { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let partial = '';
    const onData = (chunk: Buffer): void => {
      partial += chunk.toString('utf8');
      const parts = partial.split('\n');
      partial = parts.pop() ?? '';
      for (const line of parts) {
        this.lines.push(line);
        this.waiters = this.waiters.filter((waiter) => {
          if (!waiter.pattern.test(line)) return true;
          waiter.resolve(line);
          return false;
        });
      }
    };
    this.child.stderr?.on('data', onData);
    this.child.stdout?.on('data', onData);
    this.exited = new Promise((resolveExit) => this.child.on('exit', (code) => resolveExit(code)));
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** Resolves with the first line (already seen or to come) matching `pattern`. */
  waitFor(pattern: RegExp, timeoutMs = 10_000, from = 0): Promise<string> {
    const seen = this.lines.slice(from).find((line) => pattern.test(line));
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolveLine, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no line matching ${pattern} within ${timeoutMs} ms; pcheck said:\n${this.lines.join('\n')}`)),
        timeoutMs,
      );
      this.waiters.push({
        pattern,
        from,
        resolve: (line) => {
          clearTimeout(timer);
          resolveLine(line);
        },
      });
    });
  }

  /** Waits for the n-th (1-based) line matching `pattern`. */
  async waitForCount(pattern: RegExp, count: number, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.lines.filter((line) => pattern.test(line)).length < count) {
      if (Date.now() > deadline) throw new Error(`fewer than ${count} lines matching ${pattern}; pcheck said:\n${this.lines.join('\n')}`);
      await sleep(20);
    }
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): void {
    this.child.kill(signal);
  }

  /** SIGKILL, if it still runs, and wait for its exit: every test's cleanup. */
  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGKILL');
      await this.exited;
    }
  }
}

export interface CommandResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command to completion. */
export function run(command: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs = 20_000): Promise<CommandResult> {
  return new Promise((resolveRun) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolveRun({ status, stdout, stderr });
    });
  });
}

export function padmin(pfile: string, env: NodeJS.ProcessEnv, ...args: string[]): Promise<CommandResult> {
  return run(process.execPath, [PADMIN, '-f', pfile, ...args], env);
}

/** A TCP port nothing listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolvePort) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolveSleep) => setTimeout(resolveSleep, ms));
}

/** Polls until `probe` returns a value other than undefined. */
export async function eventually<T>(probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

/** Starts `path` (a fixture) detached, in its own session, and returns its pid. */
export function startDetached(path: string, args: string[] = ['1000']): number {
  const child = spawn(path, args, { detached: true, stdio: 'ignore' });
  child.unref();
  return child.pid ?? -1;
}

/**
 * Lets another user (nobody, in the permission tests) run the project's code: adds search permission
 * for others on every directory from / down to the checkout, which a mktemp'd clone lacks.
 */
export function letOthersRunTheProject(): void {
  let dir = ROOT;
  for (;;) {
    const mode = statSync(dir).mode;
    if ((mode & 0o001) === 0) chmodSync(dir, (mode & 0o7777) | 0o001);
    const parent = dirname(dir);
    if (parent === dir) return;
    dir = parent;
  }
}

/** Dead or a zombie: a process reparented to a PID 1 that does not reap stays a zombie. */
export function isGone(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'latin1').split(') ')[1]?.startsWith('Z') ?? true;
  } catch {
    return true;
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
