// padmin: one command to the pcheck of a pfile. The only place padmin exits.
import { lstatSync } from 'node:fs';
import { resolve } from 'node:path';
import { logFilePath, otherRunDirs, runDir } from '../control/paths.js';
import { COMMANDS, type AlertTestView, type Command as ControlCommand } from '../control/protocol.js';
import { createMessageLog } from '../log/message-log.js';
import { lex } from '../pfile/lexer.js';
import { readPfile } from '../pfile/read.js';
import { logFileSetting } from '../pfile/types.js';
import { request, requestFirst, TransportError } from './client.js';
import { exitAfterFlush } from './exit.js';
import { padminHelp, parsePadminArgs } from './padmin-args.js';
import { renderAlertTests, renderShow } from './render.js';
import { packageVersion } from './version.js';

/** padmin's exit statuses. */
export const PADMIN_EXIT = Object.freeze({ ok: 0, refused: 1, usage: 2, notRunning: 3, denied: 4 });

const USER_COMMANDS = COMMANDS.filter((command) => command !== 'ping');
const SHUTDOWN_WAIT_MS = 10_000;

export async function main(argv: string[]): Promise<never> {
  const args = parsePadminArgs(argv.slice(2));
  switch (args.kind) {
    case 'help':
      process.stdout.write(padminHelp(USER_COMMANDS));
      return exitAfterFlush(PADMIN_EXIT.ok);
    case 'version':
      process.stdout.write(`${packageVersion()}\n`);
      return exitAfterFlush(PADMIN_EXIT.ok);
    case 'usage':
      return usage(`${args.message} (padmin --help lists the options)`);
    case 'run':
      break;
  }
  const { options } = args;
  const { command } = options;
  if (!(USER_COMMANDS as readonly string[]).includes(command)) {
    return usage(`unknown command "${command}"; one of: ${USER_COMMANDS.join(', ')}`);
  }
  let pent: number | undefined;
  if (options.pent !== undefined) {
    pent = Number(options.pent);
    if (!/^\d+$/.test(options.pent) || pent < 1) return usage(`-p takes a pent_id, a whole number >= 1 (got "${options.pent}")`);
    if (command === 'reload' || command === 'shutdown') {
      return usage(`${command} takes no -p: it ${command === 'reload' ? 're-reads the whole pfile' : 'ends the whole pcheck'}`);
    }
  }
  if (options.dest !== undefined && command !== 'test alert') return usage(`-d names an alert destination: it goes with -c test alert only`);
  // the pfile's path names its pcheck; its content is not needed (it may be deleted or unreadable)
  const pfile = resolve(options.file);

  // a show command changes nothing
  const readOnly = command.startsWith('show ');
  const body = {
    cmd: command as ControlCommand,
    ...(pent === undefined ? {} : { pent }),
    ...(options.dest === undefined ? {} : { dest: options.dest }),
    // the show commands' text comes laid out by pcheck, unless padmin prints JSON
    ...(readOnly && !options.json ? { text: true } : {}),
  };
  // connect now, send once the command's record is written: the two overlap
  let recorded!: () => void;
  const sendAfter = new Promise<void>((resolveRecorded) => (recorded = resolveRecorded));
  const asked = requestFirst(pfile, body, [runDir(), ...otherRunDirs()], sendAfter).then(
    (answer) => ({ answer }),
    (error: unknown) => ({ error }),
  );

  // the record goes to syslog and the structured log only: on stderr it would be noise on every call
  const log = createMessageLog({ tag: 'padmin', foreground: false, stderrWithoutSyslog: false, logFile: structuredLogOf(pfile) });
  log.emit('command', { command, pfile });
  // a show command's record may reach syslog while the answer is asked for; any other command's
  // record is in syslog first, before the messages pcheck writes about it
  const logged = log.close();
  if (readOnly) recorded();
  else logged.then(recorded, recorded);

  const outcome = await asked;
  await logged;
  if ('error' in outcome) return transportFailure(outcome.error, pfile);
  const { response, dir } = outcome.answer;
  if (!response.ok) {
    process.stderr.write(`padmin: ${command}: ${response.message}\n`);
    for (const detail of response.details ?? []) process.stderr.write(`${detail}\n`);
    return exitAfterFlush(PADMIN_EXIT.refused);
  }
  if (options.json) process.stdout.write(`${JSON.stringify(response.data, null, 2)}\n`);
  else printAnswer(command as ControlCommand, response.data, pent);
  // test alert: delivered everywhere, or exit 1 (each failure is printed with its error)
  if (command === 'test alert' && (response.data as AlertTestView[]).some((result) => !result.delivered)) {
    return exitAfterFlush(PADMIN_EXIT.refused);
  }
  if (command === 'shutdown' && !(await exitedIn(pfile, dir))) {
    process.stderr.write(`padmin: pcheck still answers ${SHUTDOWN_WAIT_MS / 1000} s after shutdown\n`);
    return exitAfterFlush(PADMIN_EXIT.refused);
  }
  return exitAfterFlush(PADMIN_EXIT.ok);
}

/** The structured log pcheck of this pfile writes to, so that padmin's command lands beside it. */
function structuredLogOf(pfile: string): string | null {
  // read as pcheck reads it: a FIFO or a huge file in its place must not hang padmin
  const read = readPfile(pfile);
  if ('error' in read) return null;
  // most pfiles have no LogFile line: no need to lex them (a 1000-entry pfile takes a while)
  if (!read.text.includes('LogFile')) return logFilePath('default', pfile);
  const lines = lex(read.text, pfile).lines;
  // a bad LogFile line is pcheck's to report; padmin then logs where pcheck would by default
  const setting = logFileSetting(lines.find((line) => line.fields[0] === 'LogFile')?.fields[1]) ?? 'default';
  return logFilePath(setting, pfile);
}

function printAnswer(command: ControlCommand, data: unknown, pent: number | undefined): void {
  const scope = pent === undefined ? 'all entries' : `pent_id ${pent}`;
  switch (command) {
    case 'show pent':
    case 'show rule':
    case 'show proc':
    case 'show alert':
      // laid out by pcheck (text: true: the bytes to print), or by padmin for a pcheck that answers with the views
      process.stdout.write(Buffer.isBuffer(data) ? data : `${renderShow(command, data)}\n`);
      return;
    case 'test alert':
      process.stdout.write(`${renderAlertTests(data as AlertTestView[])}\n`);
      return;
    case 'stop':
      process.stdout.write(`monitoring stopped: ${scope}\n`);
      return;
    case 'start':
      process.stdout.write(`monitoring started: ${scope}\n`);
      return;
    case 'reload': {
      const counts = data as { kept: number; added: number; removed: number; warnings: string[] };
      for (const warning of counts.warnings) process.stderr.write(`${warning}\n`);
      process.stdout.write(`reloaded: kept ${counts.kept}, added ${counts.added}, removed ${counts.removed}\n`);
      return;
    }
    case 'shutdown':
      process.stdout.write(`pcheck (pid ${(data as { pid: number }).pid}) is shutting down\n`);
      return;
    case 'ping':
      return;
  }
}

// shutdown returns once pcheck (in `dir`) no longer answers, so an rc script can start a new one right after.
async function exitedIn(pfile: string, dir: string): Promise<boolean> {
  const deadline = Date.now() + SHUTDOWN_WAIT_MS;
  while (Date.now() < deadline) {
    try {
      await request(pfile, { cmd: 'ping' }, dir);
    } catch (error) {
      if (error instanceof TransportError && error.kind === 'absent') return true;
    }
    await new Promise((resolveWait) => setTimeout(resolveWait, 50));
  }
  return false;
}

function transportFailure(error: unknown, pfile: string): Promise<never> {
  const message = (error as Error).message;
  if (!(error instanceof TransportError)) {
    process.stderr.write(`padmin: ${message}\n`);
    return exitAfterFlush(PADMIN_EXIT.refused);
  }
  if (error.kind === 'absent') {
    // a pfile deleted under its pcheck is fine; a missing pfile with no pcheck is most likely a typo
    process.stderr.write(`padmin: ${isMissing(pfile) ? `no pcheck is running for ${pfile}, and ${pfile} does not exist` : message}\n`);
    return exitAfterFlush(PADMIN_EXIT.notRunning);
  }
  process.stderr.write(`padmin: ${message}\n`);
  return exitAfterFlush(error.kind === 'denied' ? PADMIN_EXIT.denied : PADMIN_EXIT.refused);
}

function isMissing(path: string): boolean {
  try {
    lstatSync(path);
    return false;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'ENOTDIR';
  }
}

function usage(message: string): Promise<never> {
  process.stderr.write(`padmin: ${message}\n`);
  return exitAfterFlush(PADMIN_EXIT.usage);
}
