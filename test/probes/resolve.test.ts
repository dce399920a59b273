import { describe, expect, it } from 'vitest';
import type { StallRule } from '../../src/pfile/types.js';
import { unresolvedProbeHosts } from '../../src/probes/resolve.js';
import { config, rule } from '../helpers/rules.js';

function block(line: number, host: string | null): StallRule {
  return {
    kind: 'skt',
    blockName: '_bi_socket',
    line,
    interval: 60,
    stopAfterDetect: false,
    retryOverTime: 600,
    port: 8080,
    host,
    timeout: null,
    path: '/',
    actionOnKillFail: false,
  };
}

describe('pcheck -t: probe hosts that do not resolve', () => {
  it('warns with the block\'s line, the host and the resolver\'s error (a real lookup of an RFC 6761 .invalid name)', async () => {
    const warnings = await unresolvedProbeHosts(config([rule({ stall: [block(4, 'no-such-host.invalid')] })]));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ file: '/etc/pcheck/test.pfile', line: 4, severity: 'warning' });
    expect(warnings[0]?.message).toMatch(
      /^_bi_socket host "no-such-host\.invalid" does not resolve \((ENOTFOUND|EAI_AGAIN|EAI_FAIL|no answer within 1 s)\): its probes cannot tell \(stall_chk UNKNOWN\) and never count toward a stall$/,
    );
  });

  it('skips the default host, localhost and IP addresses: no lookup at all', async () => {
    const asked: string[] = [];
    const warnings = await unresolvedProbeHosts(
      config([rule({ stall: [block(2, null), block(3, 'localhost'), block(4, '127.0.0.1'), block(5, '::1')] })]),
      async (host) => asked.push(host),
    );
    expect(warnings).toEqual([]);
    expect(asked).toEqual([]);
  });

  it('looks each name up once, all at once, and gives up on a resolver that does not answer', async () => {
    const asked: string[] = [];
    const warnings = await unresolvedProbeHosts(
      config([rule({ stall: [block(2, 'hangs.example')] }), rule({ pentId: 2, stall: [block(6, 'hangs.example'), block(9, 'web.example')] })]),
      (host) => {
        asked.push(host);
        return host === 'web.example' ? Promise.resolve({ address: '192.0.2.7' }) : new Promise(() => undefined);
      },
      200,
    );
    expect(asked).toEqual(['hangs.example', 'web.example']);
    expect(warnings.map((warning) => [warning.line, warning.message.replace(/:.*/, '')])).toEqual([
      [2, '_bi_socket host "hangs.example" does not resolve (no answer within 0.2 s)'],
      [6, '_bi_socket host "hangs.example" does not resolve (no answer within 0.2 s)'],
    ]);
  });
});
