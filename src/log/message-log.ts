// Where every catalogued message goes: syslog (else stderr, for pcheck), stderr in the foreground, the pino log.
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Logger } from 'pino';
import { eventOf, type EntryRef, type PcheckEvent } from '../events/stream.js';
import type { FieldsOf, MessageKey, Severity } from './catalogue.js';
import { SyslogWriter } from './syslog.js';
import type { MessageLog } from './types.js';

const PINO_LEVEL: Record<Severity, 'error' | 'warn' | 'info'> = { err: 'error', warning: 'warn', notice: 'info', info: 'info' };
/** pino's numbers for those levels. */
const PINO_NUMBER: Record<Severity, number> = { err: 50, warning: 40, notice: 30, info: 30 };

export type Pino = typeof import('pino').default;

/** pino, for a caller that writes a LogFile many times (the daemon): loaded only by those. */
export async function loadPino(): Promise<Pino> {
  return (await import('pino')).default;
}

export interface MessageLogOptions {
  readonly tag: 'pcheck' | 'padmin';
  readonly pid?: number;
  /** Also write every message to stderr (pcheck -F). */
  readonly foreground: boolean;
  /**
   * Write a message to stderr when there is no syslog to take it (default true: pcheck, whose messages
   * must reach someone). padmin says false: its one record, `Command execute.`, is an audit line for
   * syslog and the structured log, not output for the user at the terminal.
   */
  readonly stderrWithoutSyslog?: boolean;
  /** The structured JSON log, or null for none. */
  readonly logFile: string | null;
  /** Default: $PCHECK_SYSLOG_SOCKET, else /dev/log. */
  readonly syslogSocket?: string;
  readonly stderr?: NodeJS.WritableStream;
  /**
   * pino (loadPino()) writes the LogFile. Without it each message is written here as one JSON line
   * in pino's format: padmin writes one message, and loading pino would be a third of its start-up.
   */
  readonly pino?: Pino;
}

/** The structured log, whichever writes it. */
interface StructuredLog {
  write(severity: Severity, fields: Record<string, unknown>, text: string): void;
  /** Writes out what is buffered; the line writer also lets its descriptor go. */
  close(): void;
  reopen(): void;
}

/** The syslog socket pcheck and padmin use. */
export function syslogSocketPath(): string {
  return process.env.PCHECK_SYSLOG_SOCKET || '/dev/log';
}

/** A MessageLog writing to syslog (or stderr), stderr when in the foreground, and LogFile. */
export function createMessageLog(options: MessageLogOptions): MessageLog {
  const pid = options.pid ?? process.pid;
  const stderr = options.stderr ?? process.stderr;
  const syslog = new SyslogWriter(options.syslogSocket ?? syslogSocketPath(), options.tag, pid);
  const structured =
    options.logFile === null
      ? null
      : options.pino === undefined
        ? openLineLog(options.logFile, options.tag, pid, stderr)
        : openStructuredLog(options.pino, options.logFile, options.tag, pid, stderr);
  const write = (event: PcheckEvent): void => {
    const toSyslog = syslog.write(event.severity, event.text);
    if ((!toSyslog && options.stderrWithoutSyslog !== false) || options.foreground) stderr.write(`${options.tag}[${pid}]: ${event.text}\n`);
    const entry = event.entry === null ? {} : { pentId: event.entry.pentId };
    structured?.write(event.severity, { msgId: event.id, ...event.fields, ...entry }, event.text);
  };
  return {
    write,
    emit<K extends MessageKey>(key: K, fields: FieldsOf<K>, entry?: EntryRef): void {
      write(eventOf(key, fields, entry ?? null));
    },
    async close(): Promise<void> {
      await syslog.close();
      structured?.close();
    },
    reopen(): void {
      structured?.reopen();
    },
  };
}

// Synchronous writes: messages are rare, and none may be lost when pcheck exits right after one.
function openStructuredLog(pino: Pino, logFile: string, tag: string, pid: number, stderr: NodeJS.WritableStream): StructuredLog | null {
  try {
    const destination = pino.destination({ dest: logFile, sync: true, mkdir: true });
    // A reopen or a write that fails is told here, once until a write succeeds (a full disk would
    // otherwise say it with every message); what could not be written is kept and written then.
    let failing = false;
    destination.on('error', (error: Error) => {
      if (!failing) stderr.write(`${tag}[${pid}]: cannot write LogFile ${logFile}: ${error.message}; messages are kept until it can\n`);
      failing = true;
    });
    destination.on('write', () => (failing = false));
    const logger: Logger = pino({ base: { tag, daemonPid: pid }, timestamp: pino.stdTimeFunctions.isoTime, messageKey: 'msg' }, destination);
    return {
      write: (severity, fields, text) => logger[PINO_LEVEL[severity]](fields, text),
      close: () => logger.flush(),
      reopen: () => destination.reopen(),
    };
  } catch (error) {
    stderr.write(`${tag}[${pid}]: cannot open LogFile ${logFile}: ${(error as Error).message}\n`);
    return null;
  }
}

// The same lines as pino's above (level, time, tag, daemonPid, the fields, msg), written synchronously.
function openLineLog(logFile: string, tag: string, pid: number, stderr: NodeJS.WritableStream): StructuredLog | null {
  const open = (): number => {
    mkdirSync(dirname(logFile), { recursive: true });
    return openSync(logFile, 'a');
  };
  let fd: number;
  try {
    fd = open();
  } catch (error) {
    stderr.write(`${tag}[${pid}]: cannot open LogFile ${logFile}: ${(error as Error).message}\n`);
    return null;
  }
  let failing = false;
  return {
    write(severity, fields, text) {
      const line = `${JSON.stringify({ level: PINO_NUMBER[severity], time: new Date().toISOString(), tag, daemonPid: pid, ...fields, msg: text })}\n`;
      try {
        writeSync(fd, line);
        failing = false;
      } catch (error) {
        if (!failing) stderr.write(`${tag}[${pid}]: cannot write LogFile ${logFile}: ${(error as Error).message}\n`);
        failing = true;
      }
    },
    close: () => closeSync(fd),
    reopen() {
      try {
        const next = open();
        closeSync(fd);
        fd = next;
      } catch (error) {
        stderr.write(`${tag}[${pid}]: cannot reopen LogFile ${logFile}: ${(error as Error).message}\n`);
      }
    },
  };
}

export interface Recorded {
  readonly key: MessageKey;
  readonly fields: Record<string, unknown>;
  readonly text: string;
  readonly entry: EntryRef | null;
}

/** A MessageLog that only records, for unit tests. */
export function createMemoryLog(): MessageLog & { entries(): Recorded[]; texts(): string[] } {
  const recorded: Recorded[] = [];
  const write = (event: PcheckEvent): void => {
    recorded.push({ key: event.key, fields: { ...event.fields }, text: event.text, entry: event.entry });
  };
  return {
    write,
    emit<K extends MessageKey>(key: K, fields: FieldsOf<K>, entry?: EntryRef): void {
      write(eventOf(key, fields, entry ?? null));
    },
    close: async () => undefined,
    reopen: () => undefined,
    entries: () => [...recorded],
    texts: () => recorded.map((entry) => entry.text),
  };
}
