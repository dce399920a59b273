// What `show pent` and `show rule` carry over the socket; padmin renders it, --json prints it as is.
import type { StallKind } from '../pfile/types.js';

export type StallSts = 'INIT' | 'AVAIL' | 'DETECT' | 'UNAVAIL' | 'UNKNOWN';

export interface PentView {
  readonly pname: string;
  readonly pid: number | null;
  readonly retry_count: number;
  readonly restart_count: number;
  readonly proc_sts: 'INIT' | 'AVAIL' | 'DOWN' | 'RESTART' | 'UNAVAIL';
  readonly stall_chk: readonly { readonly kind: StallKind; readonly state: StallSts }[];
  readonly retry_over_act: string;
  /** `YYYY/MM/DD hh:mm:ss` in the daemon's local time, or null before the first restart. */
  readonly rerun_time: string | null;
  readonly pent_id: number;
  readonly monitor_sts: 'on' | 'off';
}

const pad = (n: number): string => String(n).padStart(2, '0');

/** `YYYY/MM/DD hh:mm:ss`, local time. */
export function formatRerunTime(epochMs: number): string {
  const d = new Date(epochMs);
  return `${d.getFullYear()}/${pad(d.getMonth() + 1)}/${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}
