// Text layouts of padmin's answers: `show pent` as in the vendor guide (§6.1), `=` in column 22.
import type { PentView } from '../control/views.js';
import type { EntryRule } from '../pfile/types.js';

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
export function renderRules(rules: readonly EntryRule[]): string {
  return rules
    .map((rule) => {
      const lines = [
        line('pent_id', rule.pentId),
        line('pname', rule.pname),
        line('restart_script', rule.restartScript),
        line('retry_count', rule.retryCount),
        line('grace', rule.grace),
        line('retry_over_act', rule.retryOverAction),
        line('args', rule.args === null ? '-' : rule.args.kind === 'text' ? rule.args.text : `/${rule.args.source}/${rule.args.flags}`),
        line('user', rule.user ?? '-'),
        line('pidfile', rule.pidfile ?? '-'),
        line('script_timeout', rule.scriptTimeout),
        line('start_wait', rule.startWait),
        line('tls_verify', rule.tlsVerify ? 'yes' : 'no'),
        line('tls_ca', rule.tlsCa ?? '-'),
      ];
      for (const stall of rule.stall) {
        const target = `${stall.host ?? 'localhost'}:${stall.port}${stall.kind === 'skt' ? '' : stall.path}`;
        lines.push(
          line(`stall_chk (${stall.kind})`, `${stall.blockName} ${target} interval=${stall.interval} retry_over=${stall.retryOverTime} timeout=${stall.timeout ?? Math.min(10, stall.interval)} exec_error=${stall.stopAfterDetect ? 1 : 0} action_error=${stall.actionOnKillFail ? 1 : 0}`),
        );
      }
      return lines.join('\n');
    })
    .join('\n\n');
}
