// The pcheck daemon: lock, control socket, signals, the check schedule, reload and shutdown.
import { unlinkSync } from 'node:fs';
import type { Server } from 'node:net';
import { hostname } from 'node:os';
import { performance } from 'node:perf_hooks';
import { fail, ok, TextAnswer, type Request, type Response } from '../control/protocol.js';
import { logFilePath, runPaths, spoolDir, type RunPaths } from '../control/paths.js';
import { ruleView } from '../control/views.js';
import { renderShow } from '../cli/render.js';
import { packageVersion } from '../cli/version.js';
import type { AlertService } from '../alerts/service.js';
import { EventStream, type EntryRef } from '../events/stream.js';
import { checkDestinations } from '../log/destinations.js';
import { createMessageLog, loadPino, type Pino } from '../log/message-log.js';
import type { MessageLog } from '../log/types.js';
import { timed, timedProbe, timedScript } from '../metrics/instrument.js';
import type { PcheckMetrics } from '../metrics/registry.js';
import type { MetricsEndpoint } from '../metrics/server.js';
import { loadPfile } from '../pfile/load.js';
import { formatDiagnostic, formatListen, type Config, type Diagnostic, type MetricsListen, type StallKind } from '../pfile/types.js';
import type { ProbeResult, ProbeTarget } from '../probes/types.js';
import { isExhaustion, ProcUnreadable, readStat, StatHandle } from '../system/proc.js';
import { ProcessScanner } from '../system/scan.js';
import { describeRefusal, readRegularFile, writeFileAtomically } from '../system/files.js';
import { paced, pacedScripts, runScript } from '../system/script.js';
import { procRead, UsageSampler } from '../system/usage.js';
import { after, every } from '../system/timers.js';
import { prepareRunDir, startControlServer } from './control-server.js';
import { CRASH_STATUS, installLastResort } from './last-resort.js';
import { acquireLock, AlreadyRunning, lockNames, runDirKey, type Lock } from './lock.js';
import { decodeState, encodeState, readStateFile, systemClocks } from './state-file.js';
import { Supervisor, type Watch } from './supervisor.js';

/** pcheck's exit statuses. */
export const EXIT = Object.freeze({ ok: 0, startFailed: 1, badPfile: 2, retryOverExit: 3, crashed: CRASH_STATUS });

export class StartError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

export interface DaemonOptions {
  /** Absolute path of the pfile. */
  readonly pfile: string;
  readonly foreground: boolean;
  readonly runDir: string;
}

export interface Stopped {
  readonly status: number;
  /** Why pcheck stopped, as its stop message says (`SIGTERM`, `retry over of 'httpd' (exit)`, ...). */
  readonly reason: string;
}

export interface RunningDaemon {
  /** Resolves with pcheck's exit status and the reason once it has shut down. */
  readonly done: Promise<Stopped>;
  /** What the starter should be told: a message destination that does not work. */
  readonly warnings: readonly string[];
}

/** Starts monitoring; rejects with StartError (and its exit status) when it cannot. */
export async function startDaemon(options: DaemonOptions): Promise<RunningDaemon> {
  const loaded = loadPfile(options.pfile);
  if (loaded.config === null) {
    throw new StartError([...loaded.errors, ...loaded.warnings].map(formatDiagnostic).join('\n'), EXIT.badPfile);
  }
  const destinations = checkDestinations(loaded.config);
  if (!options.foreground && destinations.fatal !== null) throw new StartError(destinations.fatal, EXIT.startFailed);
  let paths: RunPaths;
  try {
    paths = runPaths(options.pfile, options.runDir);
  } catch (error) {
    throw new StartError((error as Error).message, EXIT.startFailed);
  }
  let lock: Lock;
  try {
    prepareRunDir(paths.dir);
  } catch (error) {
    throw new StartError((error as Error).message, EXIT.startFailed);
  }
  try {
    lock = await acquireLock(lockNames(runDirKey(paths.dir), paths.lockIds));
  } catch (error) {
    if (error instanceof AlreadyRunning) throw new StartError(`${error.message}: ${options.pfile}`, EXIT.startFailed);
    throw new StartError(`cannot take the pfile lock: ${(error as Error).message}`, EXIT.startFailed);
  }
  // the alert machinery (nodemailer, execa) is loaded only for a pfile that names an AlertFile
  const alertFactory = loaded.config.alerts === null ? null : await loadAlertFactory();
  const pino = await loadPino();
  const daemon = new Daemon(loaded.config, options, lock, paths.socket, paths.socket.replace(/\.sock$/, '.state'), alertFactory, pino);
  try {
    // prom-client and the HTTP server are loaded only for a pfile that sets MetricsListen
    if (loaded.config.metricsListen !== null) await daemon.serveMetrics(loaded.config.metricsListen);
  } catch (error) {
    await lock.release();
    throw new StartError(`cannot open the metrics endpoint MetricsListen ${formatListen(loaded.config.metricsListen!)}: ${(error as Error).message}`, EXIT.startFailed);
  }
  try {
    await daemon.listen();
  } catch (error) {
    daemon.closeMetrics();
    await lock.release();
    throw new StartError(`cannot open the control socket ${paths.socket}: ${(error as Error).message}`, EXIT.startFailed);
  }
  daemon.begin(loaded.warnings);
  return { done: daemon.done, warnings: destinations.warnings };
}

class Daemon {
  readonly done: Promise<Stopped>;
  private resolveDone!: (stopped: Stopped) => void;
  private log: MessageLog;
  private alerts: AlertService | null;
  /** Every catalogue message, once: the message log and the other sinks subscribe. */
  private readonly events = new EventStream((error) => process.stderr.write(`pcheck: a message sink failed: ${String(error)}\n`));
  private readonly supervisor: Supervisor;
  /** Replaced at each schedule: its expiry follows UsageInterval. */
  private usageSampler: UsageSampler;
  /** The open liveness handle of each watched pid: resource sampling reads through it. */
  private readonly handles = new Map<number, StatHandle>();
  private server: Server | null = null;
  /** Prometheus metrics: counted from the first time MetricsListen is set, served while it is. */
  private metrics: PcheckMetrics | null = null;
  private metricsEndpoint: MetricsEndpoint | null = null;
  /** The restart script and probe runners: timed into the metrics once there are metrics. */
  private runScriptNow: typeof runScript = runScript;
  private probeNow: SupervisorProbe = probeOf;
  private cancelSchedule: () => void = () => undefined;
  /** Whether the timers run: from then on a /proc scan goes in slices, so no tick waits on it. */
  private scheduled = false;
  /** PCHECK_DEBUG_TICKS=1: CPU the liveness ticks used, answered by ping (bench/idle-1000.js reads it). */
  private readonly tickAccount: TickAccount | null = process.env.PCHECK_DEBUG_TICKS === '1' ? { ticks: 0, cpu_us: 0, wall_us: 0 } : null;
  private shuttingDown = false;
  /** The reload on its way (reload()); the next waits for it. */
  private reloading: Promise<void> = Promise.resolve();
  private readonly signalHandlers: [NodeJS.Signals, () => void][] = [];
  private removeLastResort: () => void = () => undefined;
  private readonly clocks = systemClocks(() => performance.now());
  private stateWriteFailing = false;
  /** The text last written to the state file; null forces the next write. */
  private lastState: string | null = null;

  constructor(
    config: Config,
    private readonly options: DaemonOptions,
    private readonly lock: Lock,
    private readonly socketPath: string,
    private readonly statePath: string,
    private alertFactory: AlertFactory | null,
    private readonly pino: Pino,
  ) {
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
    this.log = this.openLog(config);
    this.events.subscribe((event) => this.log.write(event));
    this.events.subscribe((event) => this.metrics?.sink(event));
    this.alerts = this.openAlerts(config);
    this.events.subscribe((event) => this.alerts?.accept(event));
    // every retry over leaves the state of every entry in DumpFileName
    this.events.subscribe((event) => {
      if (event.key === 'retryOver') this.writeDump(false);
    });
    const scanner = new ProcessScanner(() => performance.now());
    this.usageSampler = newUsageSampler(config, this.handles);
    this.supervisor = new Supervisor(config, {
      now: () => performance.now(),
      wallNow: () => Date.now(),
      // the first discovery runs whole, before any tick is due: monitoring has begun when start returns
      scan: () => (this.scheduled ? scanner.scanInSlices() : scanner.scan()),
      watch: (pid, startTime) => openWatch(this.handles, pid, startTime),
      statOf: (pid) => readStat(pid),
      readPidfile,
      runScript: pacedScripts((path, scriptOptions) => this.runScriptNow(path, scriptOptions)),
      probe: paced((kind: StallKind, target: ProbeTarget, entry?: EntryRef) => this.probeNow(kind, target, entry), PROBES_PER_TURN),
      kill: killProcess,
      usage: (pids) => this.usageSampler.sample(pids),
      readCa: readCaFile,
      after: (ms, callback) => after(ms, () => this.guard(callback)),
      log: () => this.events,
      onCarriedChange: () => this.saveState(),
      onFatalRetryOver: (action, rule) =>
        void this.shutdown(action === 'exit' ? EXIT.retryOverExit : EXIT.ok, `retry over of '${rule.pname}' (${action})`),
    });
  }

  /** Serves the metrics on `listen`; rejects when it cannot listen. */
  async serveMetrics(listen: MetricsListen): Promise<void> {
    await (await this.metricsFor(listen))?.serve(listen);
  }

  /** The metrics endpoint, created (and prom-client loaded) the first time MetricsListen is set; null until then. */
  private async metricsFor(listen: MetricsListen | null): Promise<MetricsEndpoint | null> {
    if (this.metricsEndpoint !== null || listen === null) return this.metricsEndpoint;
    const [{ PcheckMetrics }, { MetricsEndpoint }] = await Promise.all([import('../metrics/registry.js'), import('../metrics/server.js')]);
    const metrics = new PcheckMetrics(
      // a scrape reports the last resource sample (at most UsageInterval old): usage is read on the sampler's schedule only
      { views: () => this.supervisor.views() ?? [], alertQueues: () => this.alerts?.status() ?? [], usage: async () => this.usageSampler.latest() },
      { version: packageVersion() },
    );
    this.metrics = metrics;
    this.runScriptNow = timedScript(runScript, metrics);
    this.probeNow = timedProbe(probeOf, metrics);
    this.metricsEndpoint = new MetricsEndpoint(metrics);
    return this.metricsEndpoint;
  }

  closeMetrics(): void {
    this.metricsEndpoint?.close();
  }

  async listen(): Promise<void> {
    this.server = await startControlServer(
      this.socketPath,
      (request) => this.answer(request),
      (why) => this.events.emit('controlError', { error: why }),
    );
  }

  begin(warnings: readonly Diagnostic[]): void {
    const config = this.supervisor.currentConfig;
    for (const warning of warnings) this.events.emit('pfileDiagnostic', { diagnostic: formatDiagnostic(warning) });
    this.events.emit('started', { pfile: config.file, entries: config.entries.length, pid: process.pid });
    this.removeLastResort = installLastResort((error) => {
      this.events.emit('crashed', { error, status: EXIT.crashed });
      void this.shutdown(EXIT.crashed, 'unexpected error (PC013)');
    });
    this.onSignal('SIGTERM', () => void this.shutdown(EXIT.ok, 'SIGTERM'));
    this.onSignal('SIGINT', () => void this.shutdown(EXIT.ok, 'SIGINT'));
    this.onSignal('SIGHUP', () => void this.reload());
    this.onSignal('SIGUSR1', () => this.writeDump(true));
    this.restoreState();
    this.supervisor.fullCheck();
    this.schedule(config);
    this.scheduled = true;
  }

  /** Takes over what the previous pcheck of this pfile carried (retry accounting, paused entries). */
  private restoreState(): void {
    const file = this.statePath;
    let text: string | null;
    try {
      text = readStateFile(file);
    } catch (error) {
      this.events.emit('stateIgnored', { file, why: (error as Error).message });
      return;
    }
    if (text === null) return;
    const decoded = decodeState(text, this.options.pfile, this.clocks);
    if ('ignored' in decoded) {
      this.events.emit('stateIgnored', { file, why: decoded.ignored });
      return;
    }
    const counts = this.supervisor.restoreCarried(decoded.entries);
    this.events.emit('stateRestored', { file, ...counts });
  }

  // Synchronous, before the change's messages go out: a state written later could be lost to a kill -9.
  private saveState(): void {
    const text = encodeState(this.options.pfile, this.supervisor.carriedState(), this.clocks);
    if (text === this.lastState) return;
    try {
      writeFileAtomically(this.statePath, text);
      this.lastState = text;
      this.stateWriteFailing = false;
    } catch (error) {
      // said once per failing spell (a full disk); monitoring goes on, the next change tries again
      if (!this.stateWriteFailing) this.events.emit('stateWriteFailed', { file: this.statePath, error: (error as Error).message });
      this.stateWriteFailing = true;
    }
  }

  private onSignal(signal: NodeJS.Signals, handler: () => void): void {
    process.on(signal, handler);
    this.signalHandlers.push([signal, handler]);
  }

  private schedule(config: Config): void {
    this.cancelSchedule();
    const tickMs = config.livenessInterval * 1000;
    const traceTick = tickTracer(tickMs);
    const tick = accounted(
      this.tickAccount,
      () => {
        const metrics = this.metrics;
        if (metrics === null) this.supervisor.livenessTick();
        else timed(() => this.supervisor.livenessTick(), (seconds) => metrics.observeTick(seconds));
      },
    );
    const cancelLiveness = every(tickMs, () => {
      traceTick?.();
      this.guard(tick);
    });
    const cancelFullCheck = every(config.monitorInterval * 1000, () => this.guard(() => this.supervisor.fullCheck()));
    this.usageSampler = newUsageSampler(config, this.handles);
    const cancelUsage = every(config.usageInterval * 1000, () => this.guard(() => this.supervisor.usageTick()));
    this.cancelSchedule = () => {
      cancelLiveness();
      cancelFullCheck();
      cancelUsage();
    };
  }

  // A bug in one check is logged, never the end of monitoring.
  private guard(step: () => void): void {
    try {
      step();
    } catch (error) {
      this.events.emit('internalError', { error: (error as Error).stack ?? String(error) });
    }
  }

  private openAlerts(config: Config): AlertService | null {
    if (config.alerts === null || this.alertFactory === null) return null;
    return this.alertFactory(config.alerts, {
      host: hostname(),
      pfile: config.file,
      spoolDir: spoolDir(config.file),
      log: this.events,
      after: (ms, callback) => after(ms, () => this.guard(callback)),
    });
  }

  // A new alert file replaces the rules; destinations that did not change keep their queues.
  private reloadAlerts(config: Config): void {
    if (config.alerts === null) {
      this.alerts?.stop();
      this.alerts = null;
    } else if (this.alerts === null) {
      this.alerts = this.openAlerts(config);
    } else {
      this.alerts.reload(config.alerts);
    }
  }

  private openLog(config: Config): MessageLog {
    return createMessageLog({ tag: 'pcheck', foreground: this.options.foreground, logFile: logFilePath(config.logFile, config.file), pino: this.pino });
  }

  // A show command asked for as text (padmin's default) is answered laid out as padmin prints it.
  private async answer(request: Request): Promise<Response | TextAnswer> {
    const response = await this.handle(request);
    if (request.text !== true || !response.ok) return response;
    const text = renderShow(request.cmd, response.data);
    return text === null ? response : new TextAnswer(`${text}\n`);
  }

  private async handle(request: Request): Promise<Response> {
    const pent = request.pent;
    switch (request.cmd) {
      case 'ping':
        return ok({ pid: process.pid, pfile: this.options.pfile, ...(this.tickAccount === null ? {} : { tick_account: { ...this.tickAccount } }) });
      case 'show pent': {
        const views = this.supervisor.views(pent);
        return views === null ? noEntry(pent) : ok(views);
      }
      case 'show rule': {
        const rules = this.supervisor.rules(pent);
        return rules === null ? noEntry(pent) : ok(rules.map(ruleView));
      }
      case 'stop':
      case 'start':
        return this.supervisor.setMonitoring(request.cmd === 'start', pent) ? ok(this.supervisor.views(pent)) : noEntry(pent);
      case 'reload':
        if (pent !== undefined) return fail('E_NOT_APPLICABLE', 'reload takes no -p: it re-reads the whole pfile');
        return this.reload();
      case 'shutdown':
        if (pent !== undefined) return fail('E_NOT_APPLICABLE', 'shutdown takes no -p: it ends the whole pcheck');
        setImmediate(() => void this.shutdown(EXIT.ok, 'padmin shutdown'));
        return ok({ pid: process.pid });
      case 'show proc': {
        const views = this.supervisor.views(pent);
        if (views === null) return noEntry(pent);
        // ps-list is loaded by the first show proc
        const { procTable } = await import('../system/proc-table.js');
        return procTable(views).then(ok, (error: Error) => fail('E_PROC_LIST', error.message));
      }
      case 'show alert':
        return this.alerts === null ? noAlerts() : ok(this.alerts.status());
      case 'test alert': {
        if (this.alerts === null) return noAlerts();
        const results = await this.alerts.test(request.dest);
        return results === null ? fail('E_NO_DESTINATION', `no alert destination named ${request.dest}; padmin -c show alert lists them`) : ok(results);
      }
    }
  }

  // One reload at a time: a reload yields to the event loop between its steps, and a SIGHUP and a
  // padmin reload may come together.
  private reload(): Promise<Response> {
    const next = this.reloading.then(() => this.reloadNow());
    this.reloading = next.then(
      () => undefined,
      () => undefined,
    );
    return next;
  }

  /**
   * Reads the pfile and applies it. The read and the change of the entries are two synchronous
   * steps of some 15-25 ms each at 1000 entries with stall blocks; the liveness tick may run between
   * them (yieldTurn), so that no reload holds it up for their sum.
   */
  private async reloadNow(): Promise<Response> {
    const pfile = this.options.pfile;
    const loaded = loadPfile(pfile);
    await yieldTurn();
    if (this.shuttingDown) return fail('E_INTERNAL', 'pcheck is shutting down: the pfile was not applied');
    const diagnostics = [...loaded.errors, ...loaded.warnings].map(formatDiagnostic);
    if (loaded.config === null) {
      this.events.emit('reloadRefused', { pfile, errors: loaded.errors.length });
      for (const diagnostic of diagnostics) this.events.emit('pfileDiagnostic', { diagnostic });
      return fail('E_PFILE', `${pfile} has ${loaded.errors.length} error(s); the running configuration is unchanged`, diagnostics);
    }
    const previous = this.supervisor.currentConfig;
    // the LogFile is reopened on every reload: after logrotate moves it, a reload (SIGHUP) starts a new one
    if (loaded.config.logFile === previous.logFile) {
      this.log.reopen();
    } else {
      const old = this.log;
      this.log = this.openLog(loaded.config);
      await old.close();
    }
    if (loaded.config.alerts !== null) this.alertFactory ??= await loadAlertFactory();
    this.reloadAlerts(loaded.config);
    // a new MetricsListen that cannot be listened on keeps the old endpoint (PC401)
    const endpoint = await this.metricsFor(loaded.config.metricsListen);
    const metricsRefused = endpoint === null ? null : await endpoint.change(loaded.config.metricsListen);
    if (metricsRefused !== null) this.events.emit('metricsListenFailed', metricsRefused);
    const counts = this.supervisor.reload(loaded.config);
    await yieldTurn();
    for (const diagnostic of diagnostics) this.events.emit('pfileDiagnostic', { diagnostic });
    this.events.emit('reloaded', { pfile, entries: loaded.config.entries.length, ...counts });
    if (loaded.config.livenessInterval !== previous.livenessInterval || loaded.config.monitorInterval !== previous.monitorInterval) {
      this.schedule(loaded.config);
    }
    return ok({ ...counts, warnings: loaded.warnings.map(formatDiagnostic) });
  }

  /**
   * Writes the state of every entry to DumpFileName, atomically (temp file, then rename). Without
   * DumpFileName a retry over writes nothing, silently; SIGUSR1 (`asked`) says why nothing came.
   */
  private writeDump(asked: boolean): void {
    const file = this.supervisor.currentConfig.dumpFileName;
    if (file === null) {
      if (asked) this.events.emit('dumpNotSet', { pfile: this.options.pfile });
      return;
    }
    try {
      const dump = {
        pfile: this.options.pfile,
        pid: process.pid,
        time: new Date().toISOString(),
        entries: this.supervisor.views(),
        rules: this.supervisor.rules()?.map(ruleView),
      };
      writeFileAtomically(file, `${JSON.stringify(dump, null, 2)}\n`);
      this.events.emit('dumpWritten', { file });
    } catch (error) {
      this.events.emit('dumpFailed', { file, error: (error as Error).message });
    }
  }

  private async shutdown(status: number, reason: string): Promise<void> {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    this.cancelSchedule();
    for (const [signal, handler] of this.signalHandlers) process.off(signal, handler);
    this.supervisor.stop();
    this.saveState();
    // not awaited: a client still sending its request must not hold the shutdown up
    this.server?.close();
    this.metricsEndpoint?.close();
    try {
      unlinkSync(this.socketPath);
    } catch {
      // already gone
    }
    await this.lock.release();
    this.events.emit('stopped', { pfile: this.options.pfile, reason, status });
    // what is still queued stays in the spool: the next pcheck of this pfile sends it
    this.alerts?.stop();
    await this.log.close();
    this.removeLastResort();
    this.resolveDone({ status, reason });
  }
}

/** What the liveness ticks cost: how many ran, their CPU (the whole process's, while each ran) and wall time. */
interface TickAccount {
  ticks: number;
  cpu_us: number;
  wall_us: number;
}

/** `tick`, adding what each run costs to `account` (when there is one). */
function accounted(account: TickAccount | null, tick: () => void): () => void {
  if (account === null) return tick;
  return () => {
    const cpu = process.cpuUsage();
    const started = performance.now();
    try {
      tick();
    } finally {
      const used = process.cpuUsage(cpu);
      account.ticks += 1;
      account.cpu_us += used.user + used.system;
      account.wall_us += (performance.now() - started) * 1000;
    }
  };
}

type SupervisorProbe = (kind: StallKind, target: ProbeTarget, entry?: EntryRef) => Promise<ProbeResult>;

/** The probes (node:tls, node:http parsing) are loaded by the first stall check: most pfiles have none. */
let probes: Promise<(typeof import('../probes/index.js'))['PROBES']> | null = null;
const probeOf: SupervisorProbe = async (kind, target) => {
  probes ??= import('../probes/index.js').then((module) => module.PROBES);
  return (await probes)[kind](target);
};

type AlertFactory = (typeof import('../alerts/index.js'))['createAlertService'];

async function loadAlertFactory(): Promise<AlertFactory> {
  return (await import('../alerts/index.js')).createAlertService;
}

function noAlerts(): Response {
  return fail('E_NO_ALERTS', 'the pfile names no AlertFile: there are no alert destinations (see docs/alerts.md)');
}

function noEntry(pent: number | undefined): Response {
  return fail('E_NO_ENTRY', `no entry with pent_id ${pent}; padmin -c show pent lists them`);
}

/**
 * PCHECK_TICK_TRACE=1 (the benchmarks): each liveness tick writes `tick late=<ms>` on stderr, how
 * much later than one interval after the previous tick it ran. Unset: null, nothing is measured.
 */
function tickTracer(intervalMs: number): (() => void) | null {
  if (process.env.PCHECK_TICK_TRACE !== '1') return null;
  let last = performance.now();
  return () => {
    const now = performance.now();
    process.stderr.write(`tick late=${(now - last - intervalMs).toFixed(1)}\n`);
    last = now;
  };
}

/** Stall probes started per turn of the event loop: 1000 blocks due together start over some 50 turns. */
const PROBES_PER_TURN = 20;

/**
 * Lets the timers that are due (the liveness tick) run before going on: a timer, not setImmediate,
 * whose callback asked from the poll phase (a padmin request) runs in the same turn, before them.
 */
function yieldTurn(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/**
 * The usage sampler for UsageInterval: a sample may take up to the interval, at most 10 s. It reads
 * a watched pid's stat by path through its liveness handle, which drops the reading when the pid no
 * longer holds the handle's process (the handle's own descriptor is on statm, for the liveness tick).
 */
function newUsageSampler(config: Config, handles: ReadonlyMap<number, StatHandle>): UsageSampler {
  const intervalMs = config.usageInterval * 1000;
  return new UsageSampler(intervalMs, Math.min(Math.max(intervalMs, 1000), 10_000), undefined, procRead((pid) => handles.get(pid)?.usage()));
}

/** A liveness handle on `pid`, kept in `handles` while it is open. */
function openWatch(handles: Map<number, StatHandle>, pid: number, startTime: number): Watch | null {
  const handle = StatHandle.open(pid, startTime);
  if (handle === null) return null;
  handles.set(pid, handle);
  return {
    check: () => handle.check(),
    close: () => {
      handle.close();
      if (handles.get(pid) === handle) handles.delete(pid);
    },
  };
}

function killProcess(pid: number, signal: 'SIGTERM' | 'SIGKILL' = 'SIGKILL'): string | null {
  try {
    process.kill(pid, signal);
    return null;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code ?? (error as Error).message;
  }
}

/** A pid file holds a number and a newline: anything larger is not one. */
const MAX_PIDFILE_BYTES = 4096;
/** A bundle of every public CA is about 200 KB. */
const MAX_CA_BYTES = 4 * 1024 * 1024;

// null when the file names no pid (missing, not a regular file, garbage); out of descriptors, it
// cannot tell (ProcUnreadable). A FIFO or /dev/zero put in its place neither hangs nor fills pcheck.
function readPidfile(path: string): number | null {
  const read = readRegularFile(path, MAX_PIDFILE_BYTES);
  if ('refused' in read) {
    if (read.refused.reason === 'open' && isExhaustion({ code: read.refused.code })) throw new ProcUnreadable(read.refused.code);
    return null;
  }
  const text = read.text.trim();
  if (!/^\d+$/.test(text)) return null;
  const pid = Number(text);
  return pid > 0 ? pid : null;
}

// PEM text of tls_ca; throws with the reason (the probe then cannot tell, and says why).
function readCaFile(path: string): string {
  const read = readRegularFile(path, MAX_CA_BYTES);
  if ('refused' in read) throw new Error(`tls_ca ${path}: ${describeRefusal(read.refused, MAX_CA_BYTES)}`);
  return read.text;
}
