// Text layouts of padmin's answers: `show pent` as in the vendor guide (§6.1), `=` in column 22.
import type { AlertStatusView, AlertTestView, Command, ProcRow, ProcView } from '../control/protocol.js';
import { formatRerunTime, type PentView, type RuleView } from '../control/views.js';

const NAME_WIDTH = 21;

function line(name: string, value: string | number): string {
  return `${name.padEnd(NAME_WIDTH)}= ${value}`;
}

/** The padded names of show pent's lines, made once. */
const PENT_NAMES = Object.fromEntries(
  ['pname', 'pid', 'retry_count', 'restart_count', 'proc_sts', 'retry_over_act', 'rerun_time', 'pent_id', 'monitor_sts'].map((name) => [name, `${name.padEnd(NAME_WIDTH)}= `]),
) as Record<string, string>;

/** One block per entry, a blank line between entries. */
export function renderPents(pents: readonly PentView[]): string {
  let text = '';
  for (const [index, pent] of pents.entries()) {
    if (index > 0) text += '\n\n';
    text += `${PENT_NAMES.pname}${pent.pname}\n${PENT_NAMES.pid}${pent.pid ?? '-----'}\n${PENT_NAMES.retry_count}${pent.retry_count}\n`;
    text += `${PENT_NAMES.restart_count}${pent.restart_count}\n${PENT_NAMES.proc_sts}${pent.proc_sts}\n`;
    for (const stall of pent.stall_chk) text += `${line(`stall_chk (${stall.kind})`, stall.state)}\n`;
    text += `${PENT_NAMES.retry_over_act}${pent.retry_over_act}\n${PENT_NAMES.rerun_time}${pent.rerun_time ?? '-----'}\n`;
    text += `${PENT_NAMES.pent_id}${pent.pent_id}\n${PENT_NAMES.monitor_sts}${pent.monitor_sts}`;
  }
  return text;
}

/** The parsed rule of each entry with every default filled in, in the same layout. */
export function renderRules(rules: readonly RuleView[]): string {
  return rules
    .map((rule) => {
      const lines = [
        line('pent_id', rule.pent_id),
        line('pname', rule.pname),
        line('restart_script', rule.restart_script),
        line('retry_count', rule.retry_count),
        line('grace', rule.grace),
        line('retry_over_act', rule.retry_over_act),
        line('args', rule.args ?? '-'),
        line('user', rule.user ?? '-'),
        line('pidfile', rule.pidfile ?? '-'),
        line('script_timeout', rule.script_timeout),
        line('start_wait', rule.start_wait),
        line('tls_verify', rule.tls_verify ? 'yes' : 'no'),
        line('tls_ca', rule.tls_ca ?? '-'),
      ];
      // an entry without limits keeps the layout it always had
      if (rule.max_rss !== null || rule.max_cpu !== null) {
        lines.push(
          line('max_rss', rule.max_rss === null ? '-' : `${rule.max_rss} bytes`),
          line('max_cpu', rule.max_cpu === null ? '-' : `${rule.max_cpu}%`),
          line('limit_hold', rule.limit_hold),
          line('limit_action', rule.limit_action),
        );
      }
      for (const stall of rule.stall_chk) {
        const target = `${stall.host}:${stall.port}${stall.path ?? ''}`;
        lines.push(
          line(
            `stall_chk (${stall.kind})`,
            `${stall.block} ${target} interval=${stall.interval} retry_over=${stall.retry_over} timeout=${stall.timeout} exec_error=${stall.exec_error} action_error=${stall.action_error}`,
          ),
        );
      }
      return lines.join('\n');
    })
    .join('\n\n');
}

/** `show alert`: one block per destination, in the same layout. */
export function renderAlertStatus(destinations: readonly AlertStatusView[]): string {
  return destinations
    .map((status) =>
      [
        line('destination', `${status.destination} (${status.kind})`),
        line('state', status.outage ? 'FAILING' : 'OK'),
        line('queued', status.queued),
        line('oldest_queued', status.oldest_queued ?? '-----'),
        line('last_success', status.last_success ?? '-----'),
        line('last_error', status.last_error === null ? '-----' : `${status.last_error_time ?? ''} ${status.last_error}`.trim()),
      ].join('\n'),
    )
    .join('\n\n');
}

/** `test alert`: one line per destination, delivered or the exact error. */
export function renderAlertTests(results: readonly AlertTestView[]): string {
  return results
    .map((result) =>
      result.delivered
        ? `${result.destination} (${result.kind}): delivered in ${result.seconds.toFixed(1)} s`
        : `${result.destination} (${result.kind}): FAILED: ${result.error ?? 'unknown error'}`,
    )
    .join('\n');
}

const PROC_HEADER = ['PID', 'PPID', 'USER', '%CPU', 'RSS', 'START', 'COMMAND'] as const;
/** Numbers right-aligned, text left; the command, last, is not padded. */
const PROC_ALIGN = ['right', 'right', 'left', 'right', 'right', 'left', 'none'] as const;

/** `show proc`: one block per entry, a title line then its process tree, commands indented by depth. */
export function renderProcs(views: readonly ProcView[]): string {
  return views.map(renderProcBlock).join('\n\n');
}

function renderProcBlock(view: ProcView): string {
  const title = `pent_id ${view.pent_id}: ${view.pname} (${view.proc_sts})`;
  if (view.pid === null) return `${title}\n  no process followed: nothing to list`;
  if (view.processes.length === 0) return `${title}\n  pid ${view.pid} is no longer running: nothing to list`;
  const cells = view.processes.map(procCells);
  const widths = PROC_HEADER.map((name, column) => Math.max(name.length, ...cells.map((row) => row[column]?.length ?? 0)));
  const layout = (row: readonly string[]): string =>
    row
      .map((cell, column) => {
        const width = widths[column] ?? 0;
        const align = PROC_ALIGN[column];
        return align === 'right' ? cell.padStart(width) : align === 'left' ? cell.padEnd(width) : cell;
      })
      .join('  ');
  return [title, layout(PROC_HEADER), ...cells.map(layout)].join('\n');
}

function procCells(row: ProcRow): string[] {
  return [
    String(row.pid),
    String(row.ppid),
    row.user,
    row.cpu_percent.toFixed(1),
    row.rss_bytes === null ? '-' : formatSize(row.rss_bytes),
    row.start_time === null ? '-' : formatRerunTime(Date.parse(row.start_time)),
    `${row.depth === 0 ? '' : `${'   '.repeat(row.depth - 1)}\\_ `}${row.command}`,
  ];
}

/** Bytes as ps -h would: K, M or G with one decimal above K. */
export function formatSize(bytes: number): string {
  const kib = bytes / 1024;
  if (kib < 1024) return `${Math.round(kib)}K`;
  if (kib < 1024 * 1024) return `${(kib / 1024).toFixed(1)}M`;
  return `${(kib / 1024 / 1024).toFixed(1)}G`;
}

/** The show commands' answers as padmin prints them (without the last newline); null for any other command. */
export function renderShow(command: Command, data: unknown): string | null {
  switch (command) {
    case 'show pent':
      return renderPents(data as PentView[]);
    case 'show rule':
      return renderRules(data as RuleView[]);
    case 'show proc':
      return renderProcs(data as ProcView[]);
    case 'show alert':
      return renderAlertStatus(data as AlertStatusView[]);
    default:
      return null;
  }
}
