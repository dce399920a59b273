import { describe, expect, it } from 'vitest';
import { ruleView } from '../../src/control/views.js';
import { renderRules } from '../../src/cli/render.js';
import { parse } from '../../src/pfile/parse.js';
import { host } from '../helpers/host.js';

const rulesOf = (text: string) => parse(text, '/etc/pcheck/test.pfile', host).config?.entries ?? [];

describe('show rule', () => {
  const [web, socket] = rulesOf(
    'httpd /s/h - - exit args=/-k\\s+start$/i\n' +
      '_bi_webserv {\n  PS_EXEC DLL:/x.so:DIRECT:-:30:1:2:120:8080\n  PS_ACTION DLL:/x.so:DIRECT:-::1:0\n}\n' +
      'sshd /s/s 5 600 continue\n' +
      '_bi_socket {\n  PS_EXEC DLL:/x.so:DIRECT:-:60:0:2:600:22\n}\n',
  );

  it('--json gives the names of the text layout with every default filled in', () => {
    expect(ruleView(web!)).toEqual({
      pent_id: 1,
      pname: 'httpd',
      restart_script: '/s/h',
      retry_count: 3,
      grace: 86400,
      retry_over_act: 'exit',
      args: '/-k\\s+start$/i',
      user: null,
      pidfile: null,
      script_timeout: 300,
      start_wait: 30,
      tls_verify: false,
      tls_ca: null,
      max_rss: null,
      max_cpu: null,
      limit_hold: 60,
      limit_action: 'log',
      stall_chk: [
        { kind: 'web', block: '_bi_webserv', host: '127.0.0.1', port: 8080, path: '/', interval: 30, retry_over: 120, timeout: 10, exec_error: 1, action_error: 1 },
      ],
    });
    expect(ruleView(socket!).stall_chk).toEqual([
      { kind: 'skt', block: '_bi_socket', host: '127.0.0.1', port: 22, path: null, interval: 60, retry_over: 600, timeout: 10, exec_error: 0, action_error: 0 },
    ]);
  });

  it('the text layout says the same facts, the host probes really go to included', () => {
    const text = renderRules([web!, socket!].map(ruleView));
    expect(text).toContain('stall_chk (web)      = _bi_webserv 127.0.0.1:8080/ interval=30 retry_over=120 timeout=10 exec_error=1 action_error=1\n');
    expect(text).toContain('stall_chk (skt)      = _bi_socket 127.0.0.1:22 interval=60 retry_over=600 timeout=10 exec_error=0 action_error=0');
    expect(text).toContain('args                 = /-k\\s+start$/i\n');
    expect(text.split('\n\n')).toHaveLength(2);
  });
});
