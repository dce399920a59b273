// What `show pent` and `show rule` carry over the socket; padmin renders it, --json prints it as is.
import { DEFAULTS, stallTimeout, type EntryRule, type StallKind } from '../pfile/types.js';

export type StallSts = 'INIT' | 'AVAIL' | 'DETECT' | 'UNAVAIL' | 'UNKNOWN';

export interface PentView {
  readonly pname: string;
  readonly pid: number | null;
  readonly retry_count: number;
  readonly restart_count: number;
  /** UNKNOWN: the last check could not read the process (pcheck out of descriptors); see PC011. */
  readonly proc_sts: 'INIT' | 'AVAIL' | 'DOWN' | 'RESTART' | 'UNAVAIL' | 'UNKNOWN';
  readonly stall_chk: readonly { readonly kind: StallKind; readonly state: StallSts }[];
  readonly retry_over_act: string;
  /** `YYYY/MM/DD hh:mm:ss` in the daemon's local time, or null before the first restart. */
  readonly rerun_time: string | null;
  readonly pent_id: number;
  readonly monitor_sts: 'on' | 'off';
  /** CPU of the watched process in percent of one core over the last UsageInterval; null: not known yet. */
  readonly cpu_percent: number | null;
  /** Resident memory of the watched process, in bytes, at the last sample; null: not known. */
  readonly rss_bytes: number | null;
}

const pad = (n: number): string => String(n).padStart(2, '0');

/** `YYYY/MM/DD hh:mm:ss`, local time. */
export function formatRerunTime(epochMs: number): string {
  const d = new Date(epochMs);
  return `${d.getFullYear()}/${pad(d.getMonth() + 1)}/${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** One stall block as `show rule` gives it: every default filled in. */
export interface StallRuleView {
  readonly kind: StallKind;
  readonly block: string;
  readonly host: string;
  readonly port: number;
  /** The request path; null for `_bi_socket`. */
  readonly path: string | null;
  readonly interval: number;
  readonly retry_over: number;
  readonly timeout: number;
  readonly exec_error: 0 | 1;
  readonly action_error: 0 | 1;
}

/** One entry as `show rule` gives it: the names of the text layout, every default filled in. */
export interface RuleView {
  readonly pent_id: number;
  readonly pname: string;
  readonly restart_script: string;
  readonly retry_count: number;
  readonly grace: number;
  readonly retry_over_act: string;
  /** `text`, or `/source/flags` for a regular expression; null for none. */
  readonly args: string | null;
  readonly user: string | null;
  readonly pidfile: string | null;
  readonly script_timeout: number;
  readonly start_wait: number;
  readonly tls_verify: boolean;
  readonly tls_ca: string | null;
  /** max_rss= in bytes, max_cpu= in percent of one core; null: no such limit. */
  readonly max_rss: number | null;
  readonly max_cpu: number | null;
  readonly limit_hold: number;
  readonly limit_action: string;
  readonly stall_chk: readonly StallRuleView[];
}

export function ruleView(rule: EntryRule): RuleView {
  return {
    pent_id: rule.pentId,
    pname: rule.pname,
    restart_script: rule.restartScript,
    retry_count: rule.retryCount,
    grace: rule.grace,
    retry_over_act: rule.retryOverAction,
    args: rule.args === null ? null : rule.args.kind === 'text' ? rule.args.text : `/${rule.args.source}/${rule.args.flags}`,
    user: rule.user,
    pidfile: rule.pidfile,
    script_timeout: rule.scriptTimeout,
    start_wait: rule.startWait,
    tls_verify: rule.tlsVerify,
    tls_ca: rule.tlsCa,
    max_rss: rule.limits.maxRss,
    max_cpu: rule.limits.maxCpu,
    limit_hold: rule.limits.hold,
    limit_action: rule.limits.action,
    stall_chk: rule.stall.map((stall) => ({
      kind: stall.kind,
      block: stall.blockName,
      host: stall.host ?? DEFAULTS.stallHost,
      port: stall.port,
      path: stall.kind === 'skt' ? null : stall.path,
      interval: stall.interval,
      retry_over: stall.retryOverTime,
      timeout: stallTimeout(stall),
      exec_error: stall.stopAfterDetect ? 1 : 0,
      action_error: stall.actionOnKillFail ? 1 : 0,
    })),
  };
}
