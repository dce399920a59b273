// pcheck: argv, the -t check, the detaching start and the foreground run. The only place pcheck exits.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, readFileSync, writeSync } from 'node:fs';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { Command, Option, type CommanderError } from 'commander';
import { runDir } from '../control/paths.js';
import { EXIT, startDaemon, StartError, type RunningDaemon } from '../daemon/run.js';
import { checkDestinations } from '../log/destinations.js';
import { syslogSocketPath } from '../log/message-log.js';
import { lex } from '../pfile/lexer.js';
import { loadPfile } from '../pfile/load.js';
import { formatDiagnostic } from '../pfile/types.js';
import { request, TransportError } from './client.js';
import { exitAfterFlush } from './exit.js';
import { restoreNodeOptions, selfCommand } from './self.js';
import { packageVersion } from './version.js';

/**
 * The detached daemon reports on this descriptor: `READY <pid>` or `ERROR <status> <json message>`,
 * then `EXIT <status> <json reason>` if it stops within REPORT_OPEN_MS.
 */
const REPORT_FD = 3;
const REPORT_OPEN_MS = 30_000;
/** How long the parent waits for READY or ERROR: the pfile is loaded and the socket opened by then. */
const START_TIMEOUT_MS = 60_000;
/** How long a stopping foreground daemon waits for its stderr to take its last messages. */
const DAEMON_FLUSH_MS = 2000;

interface Options {
  file: string;
  test?: boolean;
  foreground?: boolean;
  daemonChild?: boolean;
}

export async function main(argv: string[]): Promise<never> {
  const program = new Command('pcheck')
    .description('Watch the processes a pfile names and restart them when they die, stall or vanish.')
    .requiredOption('-f, --file <pfile>', 'the pfile to monitor')
    .option('-t, --test', 'check the pfile, print every error and warning, start nothing')
    .option('-F, --foreground', 'stay attached (for systemd); messages go to stderr as well as syslog')
    .addOption(new Option('--daemon-child').hideHelp())
    .version(packageVersion(), '-V, --version', 'print the version and exit')
    .exitOverride();
  let options: Options;
  try {
    options = program.parse(argv).opts<Options>();
  } catch (error) {
    return exitAfterFlush((error as CommanderError).exitCode === 0 ? EXIT.ok : EXIT.badPfile);
  }
  const pfile = resolve(options.file);
  if (options.test) return checkOnly(pfile);
  if (options.daemonChild) return runDaemonChild(pfile);
  if (options.foreground) return runForeground(pfile);
  return detach(pfile);
}

async function checkOnly(pfile: string): Promise<never> {
  const result = loadPfile(pfile);
  printDiagnostics(result.errors, result.warnings);
  if (result.config === null) return exitAfterFlush(EXIT.badPfile);
  const logFileLine = lineOf(pfile, 'LogFile');
  for (const warning of checkDestinations(result.config).warnings) {
    printDiagnostics([{ file: pfile, line: logFileLine, severity: 'warning', message: warning }]);
  }
  // the resolver (node:dns) is loaded for -t only
  const { unresolvedProbeHosts } = await import('../probes/resolve.js');
  printDiagnostics(await unresolvedProbeHosts(result.config));
  const count = result.config.entries.length;
  process.stdout.write(`${pfile}: ok, ${count} ${count === 1 ? 'entry' : 'entries'}\n`);
  return exitAfterFlush(EXIT.ok);
}

async function runForeground(pfile: string): Promise<never> {
  // a unit file may pass the single executable its V8 flag the same way (docs/install.md)
  restoreNodeOptions();
  try {
    // the pfile's warnings reach stderr through the message log, as PC005
    const daemon = await startDaemon({ pfile, foreground: true, runDir: runDir() });
    return exitAfterFlush((await daemon.done).status, DAEMON_FLUSH_MS);
  } catch (error) {
    return exitWith(error);
  }
}

// The detached half of a start: tells the waiting parent how start-up went, on REPORT_FD. The
// descriptor stays open a while after READY: a pcheck that stops before the parent's ping is
// answered (an `exit` entry that retries over at once) says why there too.
async function runDaemonChild(pfile: string): Promise<never> {
  restoreNodeOptions();
  let daemon: RunningDaemon;
  try {
    daemon = await startDaemon({ pfile, foreground: false, runDir: runDir() });
  } catch (error) {
    const status = error instanceof StartError ? error.status : EXIT.startFailed;
    report(`ERROR ${status} ${JSON.stringify((error as Error).message)}`, true);
    return exitAfterFlush(status);
  }
  for (const warning of daemon.warnings) report(`WARN ${JSON.stringify(warning)}`, false);
  report(`READY ${process.pid}`, false);
  const closeLater = setTimeout(closeReport, REPORT_OPEN_MS);
  closeLater.unref();
  const stopped = await daemon.done;
  clearTimeout(closeLater);
  report(`EXIT ${stopped.status} ${JSON.stringify(stopped.reason)}`, true);
  return exitAfterFlush(stopped.status);
}

let reportOpen = true;

function report(line: string, last: boolean): void {
  if (!reportOpen) return;
  try {
    writeSync(REPORT_FD, `${line}\n`);
  } catch {
    // the parent is gone: nobody to tell
  }
  if (last) closeReport();
}

function closeReport(): void {
  if (!reportOpen) return;
  reportOpen = false;
  try {
    closeSync(REPORT_FD);
  } catch {
    // already closed
  }
}

/** Starts the daemon detached and exits 0 only once its control socket answers. */
async function detach(pfile: string): Promise<never> {
  const checked = loadPfile(pfile);
  printDiagnostics(checked.errors, checked.warnings);
  if (checked.config === null) return exitAfterFlush(EXIT.badPfile);
  const self = selfCommand(['--daemon-child', '-f', pfile]);
  const child = spawn(self.file, self.args, {
    env: self.env,
    detached: true,
    cwd: '/',
    stdio: ['ignore', 'ignore', 'ignore', 'pipe'],
  });
  const lines = createInterface({ input: child.stdio[REPORT_FD] as NodeJS.ReadableStream, crlfDelay: Infinity })[Symbol.asyncIterator]();
  // the next report line; '' at end of file, null when none came in time
  const nextLine = async (timeoutMs: number): Promise<string | null> => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<null>((resolveTimeout) => (timer = setTimeout(() => resolveTimeout(null), timeoutMs)));
    const line = await Promise.race([lines.next().then((next) => (next.done ? '' : next.value.trim())), timeout]);
    clearTimeout(timer);
    return line;
  };
  let line = await nextLine(START_TIMEOUT_MS);
  while (line?.startsWith('WARN ')) {
    process.stderr.write(`pcheck: warning: ${JSON.parse(line.slice('WARN '.length)) as string}\n`);
    line = await nextLine(START_TIMEOUT_MS);
  }
  if (line === null) {
    process.stderr.write(`pcheck: the daemon (pid ${child.pid}) did not report ready within ${START_TIMEOUT_MS / 1000} s; see syslog\n`);
    return exitAfterFlush(EXIT.startFailed);
  }
  if (line.startsWith('ERROR ')) {
    const [, status, ...message] = line.split(' ');
    process.stderr.write(`pcheck: ${JSON.parse(message.join(' ')) as string}\n`);
    return exitAfterFlush(Number(status) || EXIT.startFailed);
  }
  if (!line.startsWith('READY ')) {
    process.stderr.write(`pcheck: the daemon exited before it was ready${line ? `: ${line}` : ''}\n`);
    return exitAfterFlush(EXIT.startFailed);
  }
  const daemonPid = line.slice('READY '.length);
  try {
    const answer = await request(pfile, { cmd: 'ping' });
    if (!answer.ok) throw new TransportError('broken', answer.message);
  } catch (error) {
    // most likely it stopped at once (an `exit` entry that retried over): it says why on REPORT_FD
    const exit = await nextLine(3000);
    if (exit?.startsWith('EXIT ')) {
      const [, status, ...reason] = exit.split(' ');
      process.stderr.write(`pcheck: pcheck (pid ${daemonPid}) started, then stopped: ${JSON.parse(reason.join(' ')) as string} (status ${status})\n`);
      return exitAfterFlush(Number(status) || EXIT.startFailed);
    }
    process.stderr.write(`pcheck: the daemon started but its control socket does not answer: ${(error as Error).message}\n`);
    return exitAfterFlush(EXIT.startFailed);
  }
  const syslogSocket = syslogSocketPath();
  if (!existsSync(syslogSocket) && checked.config.logFile === 'none') {
    process.stderr.write(
      `pcheck: warning: no syslog socket at ${syslogSocket} and LogFile none in the pfile: a detached pcheck's messages go nowhere; remove LogFile none or run with -F\n`,
    );
  }
  child.unref();
  process.stdout.write(`pcheck: monitoring ${pfile} (pid ${daemonPid})\n`);
  return exitAfterFlush(EXIT.ok);
}

// The line a global keyword is written on (0 when it is not), for warnings about its value.
function lineOf(pfile: string, keyword: string): number {
  try {
    return lex(readFileSync(pfile, 'utf8'), pfile).lines.find((line) => line.fields[0]?.toLowerCase() === keyword.toLowerCase())?.line ?? 0;
  } catch {
    return 0;
  }
}

function printDiagnostics(...lists: (readonly Parameters<typeof formatDiagnostic>[0][])[]): void {
  for (const diagnostic of lists.flat()) process.stderr.write(`${formatDiagnostic(diagnostic)}\n`);
}

function exitWith(error: unknown): Promise<never> {
  if (error instanceof StartError) {
    process.stderr.write(`pcheck: ${error.message}\n`);
    return exitAfterFlush(error.status);
  }
  process.stderr.write(`pcheck: ${(error as Error).stack ?? String(error)}\n`);
  return exitAfterFlush(EXIT.startFailed);
}
