// Text layouts of padmin's answers: `show pent` as in the vendor guide (§6.1), `=` in column 22.
import type { PentView, RuleView } from '../control/views.js';

const NAME_WIDTH = 21;

function line(name: string, value: string | number): string {
  return `${name.padEnd(NAME_WIDTH)}= ${value}`;
}

/** One block per entry, a blank line between entries. */
export function renderPents(pents: readonly PentView[]): string {
  return pents
    .map((pent) =>
      [
        line('pname', pent.pname),
        line('pid', pent.pid ?? '-----'),
        line('retry_count', pent.retry_count),
        line('restart_count', pent.restart_count),
        line('proc_sts', pent.proc_sts),
        ...pent.stall_chk.map((stall) => line(`stall_chk (${stall.kind})`, stall.state)),
        line('retry_over_act', pent.retry_over_act),
        line('rerun_time', pent.rerun_time ?? '-----'),
        line('pent_id', pent.pent_id),
        line('monitor_sts', pent.monitor_sts),
      ].join('\n'),
    )
    .join('\n\n');
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
