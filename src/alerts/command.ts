// The command destination: runs a program (a phone or SMS gateway's client) once per message, the
// events as JSON on its stdin and the most important one in PS_* environment variables. It runs in a
// process group of its own, so that a timeout ends it and whatever it started.
import { execa } from 'execa';
import type { Severity } from '../log/catalogue.js';
import type { AlertEvent, CommandDestination, Sender } from './types.js';

/** What the command reads on its stdin: the webhook's json shape. */
export interface CommandInput {
  readonly host: string;
  readonly pfile: string;
  readonly events: readonly AlertEvent[];
}

/** Bytes of the command's stderr kept (the first line of it is quoted in an error). */
export const KEPT_STDERR_BYTES = 4096;
/** Characters of that line quoted at most. */
export const QUOTED_STDERR_CHARS = 200;
/** After SIGTERM at the timeout, the process group gets SIGKILL this much later. */
export const KILL_GRACE_MS = 1000;
/** After the command exits, how long its stderr may stay open (held by a child it left running). */
const STREAM_GRACE_MS = 500;

const RANK: Readonly<Record<Severity, number>> = { info: 0, notice: 1, warning: 2, err: 3 };

/** The event the PS_* variables describe: the most severe, the earliest of those. */
export function leadingEvent(events: readonly AlertEvent[]): AlertEvent | undefined {
  let leading: AlertEvent | undefined;
  for (const event of events) if (leading === undefined || RANK[event.severity] > RANK[leading.severity]) leading = event;
  return leading;
}

/** The environment the command gets besides pcheck's own. */
export function commandEnvironment(events: readonly AlertEvent[]): Record<string, string> {
  const event = leadingEvent(events);
  const text = (value: string | number | null | undefined): string => (value === null || value === undefined ? '' : String(value));
  return {
    PS_EVENT_ID: text(event?.id),
    PS_EVENT_KEY: text(event?.key),
    PS_EVENT_TEXT: text(event?.text),
    PS_EVENT_SEVERITY: text(event?.severity),
    PS_EVENT_TIME: text(event?.time),
    PS_EVENT_RESOLVES: event?.resolves === true ? '1' : '0',
    PS_EVENT_TEST: event?.test === true ? '1' : '0',
    PS_PNAME: text(event?.pname),
    PS_PENT_ID: text(event?.pentId),
    PS_PID: text(event?.pid),
    PS_HOST: text(event?.host),
    PS_PFILE: text(event?.pfile),
    PS_EVENT_COUNT: String(events.length),
  };
}

export function commandInput(events: readonly AlertEvent[]): CommandInput {
  return { host: events[0]?.host ?? '', pfile: events[0]?.pfile ?? '', events };
}

export function commandSender(dest: CommandDestination): Sender {
  return async (events) => {
    if (events.length > 0) await run(dest, events);
  };
}

/** Resolves when the command exits 0; rejects with what else happened. */
async function run(dest: CommandDestination, events: readonly AlertEvent[]): Promise<void> {
  const kept: Buffer[] = [];
  let keptBytes = 0;
  const subprocess = execa(dest.path, [...dest.args], {
    input: JSON.stringify(commandInput(events)),
    stdout: 'ignore',
    stderr: 'pipe',
    // read below, at most KEPT_STDERR_BYTES of it kept
    buffer: false,
    env: commandEnvironment(events),
    // its own session and process group: a timeout ends its children too
    detached: true,
    reject: false,
    stripFinalNewline: false,
  });
  subprocess.stderr?.on('data', (chunk: Buffer) => {
    if (keptBytes >= KEPT_STDERR_BYTES) return;
    kept.push(chunk.subarray(0, KEPT_STDERR_BYTES - keptBytes));
    keptBytes += Math.min(chunk.length, KEPT_STDERR_BYTES - keptBytes);
  });
  const firstStderrLine = (): string => firstLine(Buffer.concat(kept).toString('utf8'));

  return new Promise<void>((resolve, reject) => {
    let settled = false;
    const settle = (error: Error | null): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      // a child it left behind may hold its stderr: not ours to wait for
      subprocess.stderr?.destroy();
      if (error === null) resolve();
      else reject(error);
    };
    const timer = setTimeout(() => {
      const pid = subprocess.pid;
      killGroup(pid, 'SIGTERM');
      setTimeout(() => killGroup(pid, 'SIGKILL'), KILL_GRACE_MS).unref();
      settle(new Error(`command ${dest.path} timed out after ${dest.timeoutSeconds} s: its process group was sent SIGTERM, and SIGKILL ${KILL_GRACE_MS / 1000} s later`));
    }, dest.timeoutSeconds * 1000);

    const ended = (code: number | null, signal: string | null): void => {
      if (code === 0) settle(null);
      else if (signal !== null) settle(new Error(`command ${dest.path} was killed by ${signal}${quote(firstStderrLine())}`));
      else settle(new Error(`command ${dest.path} exited with status ${code ?? 'unknown'}${quote(firstStderrLine())}`));
    };
    // its stderr is normally read to the end a moment after it exits; a child may hold it longer
    subprocess.once('exit', (code, signal) => setTimeout(() => ended(code, signal), STREAM_GRACE_MS).unref());
    subprocess.then(
      (result) => {
        if (result.exitCode === undefined && result.signal === undefined) settle(new Error(`command ${dest.path}: ${result.code ?? result.shortMessage}`));
        else ended(result.exitCode ?? null, result.signal ?? null);
      },
      (error: unknown) => settle(new Error(`command ${dest.path}: ${(error as Error).message}`)),
    );
  });
}

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // the group is gone
  }
}

/** The first non-blank line, on its own, cut to QUOTED_STDERR_CHARS. */
function firstLine(text: string): string {
  const line = text.split('\n').find((candidate) => candidate.trim() !== '') ?? '';
  const clean = line.replace(/[\u0000-\u001f\u007f]/g, ' ').trim();
  return clean.length > QUOTED_STDERR_CHARS ? `${clean.slice(0, QUOTED_STDERR_CHARS)}…` : clean;
}

function quote(line: string): string {
  return line === '' ? '' : `: ${line}`;
}
