// The frozen configuration the runtime uses, produced from a pfile by parse().
import type { AlertConfig } from '../alerts/types.js';

export type RetryOverAction = 'continue' | 'shutdown' | 'exit';

/** Stall-check kind as shown in `show pent`: `stall_chk (web|ssl|skt)`. */
export type StallKind = 'web' | 'ssl' | 'skt';

export interface StallRule {
  readonly kind: StallKind;
  /** The block name as written (`_bi_webserv`, `_bi_websevr`, ...). */
  readonly blockName: string;
  readonly line: number;
  /** Seconds between probes (PS_EXEC interval). */
  readonly interval: number;
  /** PS_EXEC error: 1 = stop stall monitoring after one detection. */
  readonly stopAfterDetect: boolean;
  /** Seconds without a successful probe before the process counts as stalled (PS_EXEC argv[0]). */
  readonly retryOverTime: number;
  readonly port: number;
  /** null = the local host. */
  readonly host: string | null;
  /** Per-attempt timeout in seconds; null = min(10, interval). */
  readonly timeout: number | null;
  /** Request path for HTTP(S) probes. */
  readonly path: string;
  /** PS_ACTION error: 1 = perform the entry's retry_over_action when the kill fails. */
  readonly actionOnKillFail: boolean;
}

/** What a held resource-limit breach does: `log` only (PC120), or also a restart with reason `limit`. */
export type LimitAction = 'log' | 'restart';

/** An entry's resource limits (max_rss=, max_cpu=, limit_hold=, limit_action=). */
export interface EntryLimits {
  /** Resident memory in bytes; null: no limit. */
  readonly maxRss: number | null;
  /** CPU in percent of one core (200 = two cores busy); null: no limit. */
  readonly maxCpu: number | null;
  /** Seconds a breach must last, sample after sample, before it counts. */
  readonly hold: number;
  readonly action: LimitAction;
}

export type ArgsMatch =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'regex'; readonly source: string; readonly flags: string };

export interface EntryRule {
  /** 1-based position of the entry in the pfile. */
  readonly pentId: number;
  readonly line: number;
  readonly pname: string;
  readonly restartScript: string;
  readonly retryCount: number;
  /** Seconds. */
  readonly grace: number;
  readonly retryOverAction: RetryOverAction;
  readonly args: ArgsMatch | null;
  /** The user as written (name or uid), and its resolved uid. */
  readonly user: string | null;
  readonly uid: number | null;
  readonly pidfile: string | null;
  /** Seconds. */
  readonly scriptTimeout: number;
  /** Seconds. */
  readonly startWait: number;
  /** HTTPS probes verify the certificate chain and host name. */
  readonly tlsVerify: boolean;
  /** PEM file of the CA(s) to trust when verifying, instead of the system's. */
  readonly tlsCa: string | null;
  readonly limits: EntryLimits;
  readonly stall: readonly StallRule[];
}

/** Whether an entry has a resource limit to check. */
export function hasLimits(limits: EntryLimits): boolean {
  return limits.maxRss !== null || limits.maxCpu !== null;
}

export interface Config {
  /** Absolute path of the pfile. */
  readonly file: string;
  /** Seconds between full checks. */
  readonly monitorInterval: number;
  /** Seconds between cheap liveness reads of known pids. */
  readonly livenessInterval: number;
  /** Seconds between samples of the watched processes' CPU and RSS (UsageInterval). */
  readonly usageInterval: number;
  readonly dumpFileName: string | null;
  /**
   * The structured log: an absolute path; `default` (LogFile not written) for the file
   * logFilePath() names; `none` (LogFile none) for no structured log.
   */
  readonly logFile: string;
  readonly entries: readonly EntryRule[];
  /** The alert file (AlertFile), absolute; null when the pfile names none. */
  readonly alertFile: string | null;
  /** The alert file's configuration: filled in by loadPfile, which reads the file; null without one. */
  readonly alerts: AlertConfig | null;
  /** Where the Prometheus metrics endpoint listens (MetricsListen); null: no endpoint. */
  readonly metricsListen: MetricsListen | null;
}

/** MetricsListen: a TCP host and port (an IPv6 host without brackets), or an absolute Unix socket path. */
export type MetricsListen =
  | { readonly kind: 'tcp'; readonly host: string; readonly port: number }
  | { readonly kind: 'unix'; readonly path: string };

/** MetricsListen as written: `127.0.0.1:9464`, `[::1]:9464`, `/run/pcheck/metrics.sock`. */
export function formatListen(listen: MetricsListen): string {
  if (listen.kind === 'unix') return listen.path;
  return `${listen.host.includes(':') ? `[${listen.host}]` : listen.host}:${listen.port}`;
}

export interface Diagnostic {
  readonly file: string;
  readonly line: number;
  readonly severity: 'error' | 'warning';
  readonly message: string;
}

export interface ParseResult {
  /** null when there is at least one error. */
  readonly config: Config | null;
  readonly errors: readonly Diagnostic[];
  readonly warnings: readonly Diagnostic[];
  /** The AlertFile the pfile names and its line, even when the pfile has errors (so the alert file's are listed too). */
  readonly alertFile?: { readonly path: string; readonly line: number } | null;
}

/** Facts about the machine the parser may ask; load() supplies real ones, tests fakes. */
export interface ParseHost {
  /** uid of a user name, or undefined when there is no such user. */
  resolveUser(name: string): number | undefined;
  /** null when `path` is an executable regular file, else why not ("no such file", "not executable"). */
  checkExecutable(path: string): string | null;
  /** null when `path` is a readable regular file, else why not. */
  checkReadable(path: string): string | null;
}

export const DEFAULTS = Object.freeze({
  monitorInterval: 10,
  livenessInterval: 0.2,
  usageInterval: 5,
  limitHold: 60,
  limitAction: 'log' as LimitAction,
  retryCount: 3,
  grace: 86400,
  retryOverAction: 'continue' as RetryOverAction,
  scriptTimeout: 300,
  startWait: 30,
  stallInterval: 60,
  stallRetryOverTime: 600,
  stallPath: '/',
  /** Where probes go when the block names no host. */
  stallHost: '127.0.0.1',
});

/**
 * Upper limits of what a pfile may say; every value in a Config is within them, so the daemon may
 * rely on them. docs/decisions.md says why each one.
 */
export const LIMITS = Object.freeze({
  /**
   * Largest pfile read, in bytes: a real pfile is a few KB. The daemon parses a reload inside its
   * event loop, so this bounds that pause too.
   */
  pfileBytes: 256 * 1024,
  /**
   * Every duration that runs a timer (MonitorInterval, LivenessInterval, script_timeout, start_wait,
   * PS_EXEC interval, retry-over time and timeout), in seconds: Node's timers hold at most
   * 2^31-1 ms and silently fire after 1 ms beyond that.
   */
  timerSeconds: 2147483,
  /** grace, in seconds: a window restart times are compared against, not a timer; 10 years. */
  graceSeconds: 315360000,
  /** retry_count: restarts allowed inside grace; anything larger means "never retry over" anyway. */
  retryCount: 1000000000,
  /** A numeric user=: uid_t, less (uid_t)-1, which means "no user". */
  uid: 4294967294,
  /**
   * Errors, and warnings, listed; one more says how many were left out. Every diagnostic of a
   * refused reload is logged: a 1 MiB pfile of junk must not write half a million log lines.
   */
  diagnostics: 100,
});

/**
 * Config.logFile from LogFile as written (undefined: not written): `none`, the path, `default`;
 * null when the value is neither `none` nor an absolute path.
 */
export function logFileSetting(written: string | undefined): string | null {
  if (written === undefined) return 'default';
  if (written.toLowerCase() === 'none') return 'none';
  return written.startsWith('/') ? written : null;
}

/** Per-attempt probe timeout in seconds: the block's, else the smaller of 10 s and the interval. */
export function stallTimeout(rule: StallRule): number {
  return rule.timeout ?? Math.min(10, rule.interval);
}

/** A value as written, quoted for a message; a long one is cut, with its length. */
export function quoted(text: string): string {
  return text.length <= 200 ? `"${text}"` : `"${text.slice(0, 80)}..." (${text.length} characters)`;
}

/** `Diagnostic` as printed by `pcheck -t` and `padmin -c reload`. */
export function formatDiagnostic(d: Diagnostic): string {
  return `${d.file}:${d.line}: ${d.severity}: ${d.message}`;
}
