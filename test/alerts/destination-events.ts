// AlertEvents as the queue hands them to a sender, for the destination tests.
import type { AlertEvent } from '../../src/alerts/types.js';

let counter = 0;

/** An event of entry httpd (pent_id 1) on web01, with `overrides`. */
export function alertEvent(overrides: Partial<AlertEvent> = {}): AlertEvent {
  counter += 1;
  return {
    uid: `${Date.now()}-${process.pid}-${counter}`,
    id: 'PC102',
    key: 'down',
    severity: 'warning',
    text: "Process ['httpd',pid=4242] Down",
    time: new Date().toISOString(),
    host: 'web01',
    pfile: '/etc/pcheck/web.pfile',
    pname: 'httpd',
    pentId: 1,
    pid: 4242,
    fields: { name: 'httpd', pid: 4242, reason: 'gone' },
    ...overrides,
  };
}

export const down = (overrides: Partial<AlertEvent> = {}): AlertEvent => alertEvent(overrides);

export const tryRestart = (overrides: Partial<AlertEvent> = {}): AlertEvent =>
  alertEvent({ id: 'PC104', key: 'tryRestart', severity: 'notice', text: "Try to restart ('httpd')", pid: null, fields: { name: 'httpd', reason: 'down', retry: 1 }, ...overrides });

export const retryOver = (overrides: Partial<AlertEvent> = {}): AlertEvent =>
  alertEvent({ id: 'PC109', key: 'retryOver', severity: 'err', text: "Retry over ('httpd') retries=3 action=none", pid: null, fields: { name: 'httpd', action: 'none', retries: 3 }, ...overrides });

export const up = (overrides: Partial<AlertEvent> = {}): AlertEvent =>
  alertEvent({ id: 'PC101', key: 'up', severity: 'notice', text: "('httpd' ,pid=4343) Up", pid: 4343, fields: { name: 'httpd', pid: 4343 }, resolves: true, ...overrides });
