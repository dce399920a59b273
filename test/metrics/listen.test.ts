// MetricsListen in the pfile: host:port with the pfile's number grammar, [IPv6]:port, or an absolute socket path.
import { describe, expect, it } from 'vitest';
import { parse } from '../../src/pfile/parse.js';
import { formatListen } from '../../src/pfile/types.js';
import { host } from '../helpers/host.js';

const read = (text: string) => parse(text, '/etc/pcheck/test.pfile', host);
const listenOf = (value: string) => {
  const result = read(`MetricsListen ${value}\n`);
  expect(result.errors).toEqual([]);
  return result.config?.metricsListen;
};
const errorOf = (value: string) => read(`MetricsListen ${value}\n`).errors.map((error) => `${error.line}: ${error.message}`);

describe('MetricsListen', () => {
  it('is absent by default: no endpoint', () => {
    expect(read('MonitorInterval 5\n').config?.metricsListen).toBeNull();
  });

  it('reads host:port, [IPv6]:port, a host name and a socket path', () => {
    expect(listenOf('127.0.0.1:9464')).toEqual({ kind: 'tcp', host: '127.0.0.1', port: 9464 });
    expect(listenOf('0.0.0.0:9464')).toEqual({ kind: 'tcp', host: '0.0.0.0', port: 9464 });
    expect(listenOf('[::1]:9464')).toEqual({ kind: 'tcp', host: '::1', port: 9464 });
    expect(listenOf('[::]:1')).toEqual({ kind: 'tcp', host: '::', port: 1 });
    expect(listenOf('localhost:65535')).toEqual({ kind: 'tcp', host: 'localhost', port: 65535 });
    expect(listenOf('/run/pcheck/metrics.sock')).toEqual({ kind: 'unix', path: '/run/pcheck/metrics.sock' });
    expect(listenOf('"/run/with blank/m.sock"')).toEqual({ kind: 'unix', path: '/run/with blank/m.sock' });
  });

  it('the port follows the pfile number grammar: decimal digits, 1 to 65535', () => {
    expect(listenOf('127.0.0.1:09464')).toMatchObject({ port: 9464 });
    for (const port of ['0', '65536', '0x10', '+80', '80.0', '', ' 80', '1e3']) {
      expect(errorOf(`"127.0.0.1:${port}"`)[0]).toContain('MetricsListen port must be a whole number from 1 to 65535');
    }
  });

  it('refuses what is neither host:port nor an absolute path, saying how to write it', () => {
    expect(errorOf('9464')).toEqual([
      '1: MetricsListen must be host:port or an absolute path (got "9464"); write host:port (127.0.0.1:9464, [::1]:9464) or an absolute Unix socket path',
    ]);
    expect(errorOf('metrics.sock')[0]).toContain('must be host:port or an absolute path');
    expect(errorOf('::1:9464')[0]).toContain('must be host:port or an absolute path');
    expect(errorOf('[127.0.0.1]:9464')[0]).toContain('MetricsListen host must be an IPv6 address in brackets');
    expect(errorOf('[::g]:9464')[0]).toContain('MetricsListen host must be an IPv6 address in brackets');
    expect(errorOf('256.1.1.1:9464')[0]).toContain('MetricsListen host must be an IPv4 address or a host name');
    expect(errorOf(':9464')[0]).toContain('MetricsListen host must be an IPv4 address or a host name');
    expect(errorOf('bad_host:9464')[0]).toContain('MetricsListen host must be an IPv4 address or a host name');
    expect(errorOf(`/${'x'.repeat(107)}`)[0]).toContain('MetricsListen socket path is longer than 107 bytes');
    expect(errorOf('127.0.0.1:9464 extra')[0]).toContain('MetricsListen takes one value');
  });

  it('a pfile with a bad MetricsListen is refused (its config is null)', () => {
    expect(read('MetricsListen nowhere\n').config).toBeNull();
  });

  it('formatListen writes it back as written', () => {
    for (const written of ['127.0.0.1:9464', '[::1]:9464', '/run/m.sock']) expect(formatListen(listenOf(written)!)).toBe(written);
  });
});
