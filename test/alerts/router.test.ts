// The router against seed 000's Linux table, as docs/alerts.md writes it, with pcheck's real events.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAlertFile, type AlertFileHost } from '../../src/alerts/config.js';
import { atLeast, matches, matchText, NOTHING_TOLD, route, SEVERITIES, type Told } from '../../src/alerts/router.js';
import type { AlertConfig, AlertEvent, AlertRule } from '../../src/alerts/types.js';
import { eventOf, type PcheckEvent } from '../../src/events/stream.js';
import { ROOT } from '../e2e/harness.js';

const host: AlertFileHost = { checkExecutable: () => null, checkReadable: () => null, checkSecret: () => null };

/** The alert file of docs/alerts.md's worked example: the fenced block after its marker. */
function workedExample(): string {
  const doc = readFileSync(join(ROOT, 'docs/alerts.md'), 'utf8');
  const block = /<!-- seed-000-alerts[^\n]*-->\n```\n([\s\S]*?)```/.exec(doc);
  if (block === null) throw new Error('docs/alerts.md has no seed-000-alerts block');
  return block[1] as string;
}

const parsed = parseAlertFile(workedExample(), '/etc/pcheck/alerts', host, [
  { pentId: 1, pname: 'httpd' },
  { pentId: 2, pname: 'postgres' },
]);
const SEED = parsed.config as AlertConfig;
/** Events are built at one fixed time, so two builds of one event are equal. */
const AT = Date.parse('2025-06-01T03:00:00Z');
const HTTPD = { pentId: 1, pname: 'httpd' };
const POSTGRES = { pentId: 2, pname: 'postgres' };

/** A PcheckEvent as the alert service turns it into an AlertEvent (a local stand-in for it). */
function alert(event: PcheckEvent, extra: Partial<AlertEvent> = {}): AlertEvent {
  return {
    uid: `${event.at}-1-1`,
    id: event.id,
    key: event.key,
    severity: event.severity,
    text: event.text,
    time: new Date(event.at).toISOString(),
    host: 'db1',
    pfile: '/etc/pcheck/db1.pfile',
    pname: event.entry?.pname ?? null,
    pentId: event.entry?.pentId ?? null,
    pid: event.pid,
    fields: event.fields,
    ...extra,
  };
}

const down = (entry = HTTPD, pid = 4242) => alert(eventOf('down', { name: entry.pname, pid, reason: 'gone' }, entry, AT));
const up = (entry = HTTPD, pid = 4300) => alert(eventOf('up', { name: entry.pname, pid }, entry, AT));
const retryOver = (entry = HTTPD, action = 'exit') => alert(eventOf('retryOver', { name: entry.pname, retries: 3, action }, entry, AT));
const setPidFail = (entry = HTTPD) => alert(eventOf('setPidFail', { name: entry.pname }, entry, AT));
const stall = () => alert(eventOf('stallWeb', { pid: 4242, port: 80, host: '127.0.0.1', error: 'timeout' }, HTTPD, AT));
const tryRestart = () => alert(eventOf('tryRestart', { name: 'httpd', reason: 'down', retry: 1 }, HTTPD, AT));
const scriptOutput = () => alert(eventOf('scriptOutput', { name: 'httpd', output: 'Server has been stopped' }, HTTPD, AT));

/** Destination names an event goes to, from nothing told. */
const to = (event: AlertEvent, config = SEED, told: Told = NOTHING_TOLD) => route(config, told, event).routes.map((one) => one.destination);

describe("seed 000's Linux table (docs/alerts.md's worked example)", () => {
  it('parses without an error or warning', () => {
    expect(parsed.errors).toEqual([]);
    expect(parsed.warnings).toEqual([]);
    expect(SEED.rules.map((rule) => [rule.name, rule.keywords, rule.send])).toEqual([
      ['app', ["'httpd'", 'Down'], ['app-team']],
      ['db', ["'postgres'", 'Down'], ['db-team']],
      ['server-down', ['PC109', 'Retry over', 'action=exit'], ['app-team', 'db-team', 'phone']],
    ]);
    expect(SEED.fallback).toEqual(['taro']);
  });

  it("rule 1: the application's Down goes to the application team only", () => {
    expect(down().text).toBe("Process ['httpd',pid=4242] Down");
    const routing = route(SEED, NOTHING_TOLD, down());
    expect(routing.routes).toEqual([{ destination: 'app-team', event: down() }]);
    expect(routing).toMatchObject({ rules: ['app'], fallback: false });
  });

  it("rule 2: the database's Down goes to the database team only", () => {
    expect(to(down(POSTGRES, 5151))).toEqual(['db-team']);
  });

  it('rule 3: three keywords; a retry over that takes the server down goes to both teams by mail and to the phone', () => {
    expect(matchText(retryOver())).toBe("PC109 Retry over ('httpd') retries=3 action=exit");
    const routing = route(SEED, NOTHING_TOLD, retryOver());
    expect(routing.routes.map((one) => one.destination)).toEqual(['app-team', 'db-team', 'phone']);
    expect(routing).toMatchObject({ rules: ['server-down'], fallback: false });
    expect(to(retryOver(POSTGRES))).toEqual(['app-team', 'db-team', 'phone']);
  });

  it('a rule needs every keyword: a retry over that continues is not a server down, so the fallback has it', () => {
    expect(to(retryOver(HTTPD, 'continue'))).toEqual(['taro']);
  });

  it('an unmatched warning or err goes to the fallback', () => {
    expect(route(SEED, NOTHING_TOLD, setPidFail())).toMatchObject({ routes: [{ destination: 'taro' }], rules: [], fallback: true });
    expect(to(stall())).toEqual(['taro']);
  });

  it('notice and info events go nowhere: below the rules and the fallback', () => {
    expect(to(tryRestart())).toEqual([]);
    // "Server has been stopped" in a script's output is info: no rule takes info
    expect(to(scriptOutput())).toEqual([]);
    expect(to(up())).toEqual([]);
  });

  it('keywords are case-sensitive', () => {
    const lower = { ...down(), text: "Process ['httpd',pid=4242] down" };
    expect(to(lower)).toEqual(['taro']);
  });
});

describe('resolutions', () => {
  it('an Up goes, marked, to exactly the destinations told of the failure, once', () => {
    const afterDown = route(SEED, NOTHING_TOLD, down());
    const afterRetryOver = route(SEED, afterDown.told, retryOver());
    expect(afterRetryOver.told).toEqual({ '1 httpd': ['app-team', 'db-team', 'phone'] });
    const resolved = route(SEED, afterRetryOver.told, up());
    expect(resolved.routes).toEqual([
      { destination: 'app-team', event: { ...up(), resolves: true } },
      { destination: 'db-team', event: { ...up(), resolves: true } },
      { destination: 'phone', event: { ...up(), resolves: true } },
    ]);
    expect(resolved.told).toEqual({});
    expect(route(SEED, resolved.told, up()).routes).toEqual([]);
  });

  it("one entry's Up does not resolve another's failure", () => {
    const told = route(SEED, route(SEED, NOTHING_TOLD, down()).told, down(POSTGRES)).told;
    const resolved = route(SEED, told, up(POSTGRES));
    expect(resolved.routes.map((one) => one.destination)).toEqual(['db-team']);
    expect(resolved.told).toEqual({ '1 httpd': ['app-team'] });
  });

  it('the fallback is told too; notices are not failures and are not remembered', () => {
    const told = route(SEED, NOTHING_TOLD, setPidFail()).told;
    expect(told).toEqual({ '1 httpd': ['taro'] });
    expect(route(SEED, told, tryRestart()).told).toBe(told);
    expect(to(up(), SEED, told)).toEqual(['taro']);
  });

  it('a destination a reload removed gets no resolution', () => {
    const told = route(SEED, NOTHING_TOLD, retryOver()).told;
    const reloaded: AlertConfig = { ...SEED, destinations: SEED.destinations.filter((destination) => destination.name !== 'phone') };
    expect(to(up(), reloaded, told)).toEqual(['app-team', 'db-team']);
  });

  it('an Up a rule also takes goes to each destination once, marked where it resolves', () => {
    const upsToChat: AlertRule = { name: 'ups', line: 1, keywords: [') Up'], minSeverity: 'notice', entry: null, send: ['app-team', 'taro'] };
    const config: AlertConfig = { ...SEED, rules: [...SEED.rules, upsToChat] };
    const told = route(config, NOTHING_TOLD, down()).told;
    const routes = route(config, told, up()).routes;
    expect(routes).toEqual([
      { destination: 'app-team', event: { ...up(), resolves: true } },
      { destination: 'taro', event: up() },
    ]);
  });

  it('an event about no entry is routed but not remembered', () => {
    const crashed = alert(eventOf('crashed', { error: 'boom', status: 70 }, null, AT));
    const routing = route(SEED, NOTHING_TOLD, crashed);
    expect(routing.routes.map((one) => one.destination)).toEqual(['taro']);
    expect(routing.told).toBe(NOTHING_TOLD);
  });

  it('what was told is plain JSON and never changed in place', () => {
    const told = route(SEED, NOTHING_TOLD, down()).told;
    const again = route(SEED, told, retryOver()).told;
    expect(told).toEqual({ '1 httpd': ['app-team'] });
    expect(JSON.parse(JSON.stringify(again))).toEqual(again);
  });
});

describe('rules', () => {
  const rule = (overrides: Partial<AlertRule>): AlertRule => ({ name: 'r', line: 1, keywords: [], minSeverity: 'warning', entry: null, send: ['x'], ...overrides });

  it('severity: the rule takes its severity and anything above', () => {
    expect(SEVERITIES).toEqual(['info', 'notice', 'warning', 'err']);
    expect(matches(rule({ minSeverity: 'err' }), down())).toBe(false);
    expect(matches(rule({ minSeverity: 'err' }), retryOver())).toBe(true);
    expect(matches(rule({ minSeverity: 'info' }), scriptOutput())).toBe(true);
    expect(atLeast('notice', 'info') && atLeast('warning', 'warning') && !atLeast('notice', 'warning')).toBe(true);
  });

  it('entry: a pent_id or a pname; an event about no entry matches no rule that names one', () => {
    expect(matches(rule({ entry: 1 }), down())).toBe(true);
    expect(matches(rule({ entry: 2 }), down())).toBe(false);
    expect(matches(rule({ entry: 'httpd' }), stall())).toBe(true);
    expect(matches(rule({ entry: 'postgres' }), stall())).toBe(false);
    expect(matches(rule({ entry: 'httpd' }), alert(eventOf('crashed', { error: 'x', status: 70 }, null, AT)))).toBe(false);
  });

  it('a rule without keywords takes every event of its severity; the id is matched too', () => {
    expect(matches(rule({}), stall())).toBe(true);
    expect(matches(rule({ keywords: ['PC201'] }), stall())).toBe(true);
    expect(matches(rule({ keywords: ['PC202'] }), stall())).toBe(false);
  });

  it('several rules: the union of their destinations, each once, in the order of the file', () => {
    const config: AlertConfig = {
      ...SEED,
      rules: [rule({ name: 'a', send: ['db-team', 'app-team'] }), rule({ name: 'b', keywords: ['Down'], send: ['app-team', 'phone'] })],
    };
    const routing = route(config, NOTHING_TOLD, down());
    expect(routing.routes.map((one) => one.destination)).toEqual(['db-team', 'app-team', 'phone']);
    expect(routing.rules).toEqual(['a', 'b']);
  });

  it('the fallback takes what is at least fallback_severity, and nothing a rule took', () => {
    expect(to(tryRestart(), { ...SEED, fallbackSeverity: 'notice' })).toEqual(['taro']);
    expect(to(setPidFail(), { ...SEED, fallbackSeverity: 'err' })).toEqual([]);
    expect(to(down(), { ...SEED, fallbackSeverity: 'info' })).toEqual(['app-team']);
    expect(to(setPidFail(), { ...SEED, fallback: [] })).toEqual([]);
  });

  it('a test event is never routed', () => {
    expect(route(SEED, NOTHING_TOLD, { ...down(), test: true })).toEqual({ routes: [], rules: [], fallback: false, told: NOTHING_TOLD });
  });
});
