// The README's alert file example is a valid alert file, and routes as the README says.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseAlertFile } from '../../src/alerts/config.js';
import { NOTHING_TOLD, route } from '../../src/alerts/router.js';
import type { AlertEvent } from '../../src/alerts/types.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const example = readme.split('\n## Alerts\n')[1]?.split('```')[1] ?? '';
const host = { checkExecutable: () => null, checkReadable: () => null, checkSecret: () => null };

const event = (id: string, text: string, severity: AlertEvent['severity']): AlertEvent => ({
  uid: '1', id, key: 'x', severity, text, time: '2026-11-25T00:00:00Z', host: 'web01', pfile: '/etc/pcheck/web.pfile', pname: null, pentId: null, pid: null, fields: {},
});

describe('README alert example', () => {
  it('parses without a word, and routes a Down, a retry over and an unmatched warning as the README says', () => {
    const parsed = parseAlertFile(example, '/etc/pcheck/alerts', host);
    expect([...parsed.errors, ...parsed.warnings]).toEqual([]);
    const config = parsed.config;
    if (config === null) throw new Error('no config');
    const to = (e: AlertEvent) => route(config, NOTHING_TOLD, e).routes.map((r) => r.destination).sort();
    expect(to(event('PC102', "Process ['httpd',pid=42] Down", 'warning'))).toEqual(['am', 'app-team']);
    expect(to(event('PC109', "Retry over ('httpd') retries=3 action=exit", 'err'))).toEqual(['am', 'app-team', 'phone']);
    expect(to(event('PC105', "Set pid fail ('postgres')", 'warning'))).toEqual(['chat']);
    expect(to(event('PC104', "Try to restart ('postgres')", 'notice'))).toEqual([]);
  });
});
