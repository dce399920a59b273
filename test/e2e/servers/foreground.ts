// A Prometheus-family server (prometheus, prometheus-alertmanager) started in the foreground on a free
// port, tracked by the sandbox for cleanup, and waited for until its /-/ready answers. The free port
// may be taken between freePort() and the bind: then the server exits, and another port is tried.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { eventually, freePort, type Sandbox } from '../harness.js';

export interface Foreground {
  readonly child: ChildProcess;
  readonly port: number;
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly exited: Promise<void>;
}

export interface ForegroundOptions {
  readonly name: string;
  readonly binary: string;
  /** Its arguments for a listen port. */
  readonly args: (port: number) => string[];
  /** Where its stdout and stderr go (appended to). */
  readonly logFile: string;
  readonly readyWithinMs: number;
}

/** Starts the server; rejects with why it did not get ready and its log. */
export async function startOnFreePort(box: Sandbox, options: ForegroundOptions): Promise<Foreground> {
  for (let attempt = 1; ; attempt += 1) {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const log = openSync(options.logFile, 'a');
    const child = spawn(options.binary, options.args(port), { stdio: ['ignore', log, log] });
    closeSync(log);
    box.track(child.pid ?? -1);
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const state = await eventually(
      async () => (child.exitCode !== null ? 'exited' : (await ready(url)) ? 'ready' : undefined),
      options.readyWithinMs,
      `${options.name} ready`,
    ).catch((error: Error) => error);
    if (state === 'ready') return { child, port, url, exited };
    child.kill('SIGKILL');
    if (state === 'exited' && attempt < 3) continue;
    const why = state === 'exited' ? `${options.name} exited with status ${child.exitCode}` : state.message;
    throw new Error(`${why}; its log:\n${readFileSync(options.logFile, 'utf8')}`);
  }
}

async function ready(url: string): Promise<boolean> {
  try {
    return (await fetch(`${url}/-/ready`)).ok;
  } catch {
    return false;
  }
}
