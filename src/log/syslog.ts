// Syslog over /dev/log without a native addon: Node 20 has no Unix datagram sockets, so one
// long-lived util-linux `logger` process carries every message, one line each, with its priority.
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';
import type { Severity } from './catalogue.js';

const SEVERITY_CODE: Record<Severity, number> = { err: 3, warning: 4, notice: 5, info: 6 };
const FACILITY_DAEMON = 3;
/** A logger that keeps failing is started at most this often; meanwhile messages go to stderr. */
const RESPAWN_GAP_MS = 1000;

export class SyslogWriter {
  private child: ChildProcessWithoutNullStreams | null = null;
  private lastSpawn = Number.NEGATIVE_INFINITY;

  constructor(
    readonly socketPath: string,
    private readonly tag: string,
    private readonly pid: number,
    private readonly loggerPath = 'logger',
  ) {}

  /** Sends one message; false when there is no syslog to send it to (the caller writes stderr). */
  write(severity: Severity, text: string): boolean {
    if (!existsSync(this.socketPath)) return false;
    const child = this.child ?? this.spawn();
    if (child === null) return false;
    const priority = FACILITY_DAEMON * 8 + SEVERITY_CODE[severity];
    child.stdin.write(`<${priority}>${text.replace(/[\r\n]+/g, ' ')}\n`);
    return true;
  }

  /** Flushes what was written and lets the logger exit (at most 2 s). */
  async close(): Promise<void> {
    const child = this.child;
    this.child = null;
    if (child === null || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        resolve();
      }, 2000);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      child.stdin.end();
    });
  }

  private spawn(): ChildProcessWithoutNullStreams | null {
    const now = Date.now();
    if (now - this.lastSpawn < RESPAWN_GAP_MS) return null;
    this.lastSpawn = now;
    // node:child_process is loaded here, when there is a syslog to write to: padmin, which writes one
    // message, does not pay for it (2 ms of its start) where there is none
    const { spawn } = childProcess();
    const child = spawn(
      this.loggerPath,
      ['--socket-errors=on', '-u', this.socketPath, '-t', this.tag, `--id=${this.pid}`, '-p', 'daemon.notice', '--prio-prefix'],
      { stdio: ['pipe', 'ignore', 'pipe'] },
    ) as unknown as ChildProcessWithoutNullStreams;
    child.on('error', () => this.forget(child));
    // a spawn that failed for want of descriptors has no pipes: stderr carries this message
    if (child.stdin === null || child.stderr === null) return null;
    child.on('exit', () => this.forget(child));
    child.stdin.on('error', () => this.forget(child));
    // logger reports a send failure (syslog restarted, socket gone) on stderr: start afresh next time
    child.stderr.on('data', () => {
      this.forget(child);
      child.kill();
    });
    child.unref();
    (child.stdin as unknown as Socket).unref();
    (child.stderr as unknown as Socket).unref();
    this.child = child;
    return child;
  }

  private forget(child: ChildProcessWithoutNullStreams): void {
    if (this.child === child) this.child = null;
  }
}

// process.getBuiltinModule is Node 20.16's; an older Node 20 requires it
function childProcess(): typeof import('node:child_process') {
  return process.getBuiltinModule?.('node:child_process') ?? (createRequire(import.meta.url)('node:child_process') as typeof import('node:child_process'));
}
