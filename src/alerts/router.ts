// Which destinations an event goes to: the alert file's rules, its fallback, and the resolution an
// `Up` sends to whoever was told of that entry's failure. Pure: what was told is data passed in and
// handed back, so the caller owns it (and may keep it across a reload, or on disk).
import type { Severity } from '../log/catalogue.js';
import type { AlertConfig, AlertEvent, AlertRule } from './types.js';

/** Least to most severe, as syslog orders them. */
export const SEVERITIES: readonly Severity[] = Object.freeze(['info', 'notice', 'warning', 'err']);

/** An event at least this severe is a failure: its destinations are told when the entry is up again. */
export const FAILURE_SEVERITY: Severity = 'warning';

/** The catalogue key of the event that ends a failure. */
export const UP_KEY = 'up';

/**
 * Per entry (`<pent_id> <pname>`), the destinations a failure of it was routed to since it was last
 * up. Plain JSON; `NOTHING_TOLD` to start with.
 */
export type Told = Readonly<Record<string, readonly string[]>>;

export const NOTHING_TOLD: Told = Object.freeze({});

/** One destination and the event as it goes there (`resolves: true` when it is a resolution). */
export interface Route {
  readonly destination: string;
  readonly event: AlertEvent;
}

export interface Routing {
  /** Each destination once: the matched rules' (or the fallback's) first, in the alert file's order, then resolutions. */
  readonly routes: readonly Route[];
  /** Names of the rules that matched. */
  readonly rules: readonly string[];
  /** The fallback took it: no rule matched and it is at least fallbackSeverity. */
  readonly fallback: boolean;
  /** What was told, after this event. */
  readonly told: Told;
}

/** `severity` is `least` or more severe. */
export function atLeast(severity: Severity, least: Severity): boolean {
  return SEVERITIES.indexOf(severity) >= SEVERITIES.indexOf(least);
}

/**
 * What a rule's keywords are looked for in: the catalogue id, a blank, the text
 * (`PC109 Retry over ('httpd') retries=3 action=exit`), as the seed's filter found `ID: 102` in
 * the mail it read.
 */
export function matchText(event: AlertEvent): string {
  return `${event.id} ${event.text}`;
}

/**
 * Whether `rule` takes `event`: every keyword appears in its matchText (case-sensitive), the event
 * is at least the rule's severity, and it is about the rule's entry (pent_id or pname) if the rule
 * names one.
 */
export function matches(rule: AlertRule, event: AlertEvent): boolean {
  if (!atLeast(event.severity, rule.minSeverity)) return false;
  if (rule.entry !== null && rule.entry !== (typeof rule.entry === 'number' ? event.pentId : event.pname)) return false;
  const text = matchText(event);
  return rule.keywords.every((keyword) => text.includes(keyword));
}

/**
 * Routes one event: the union of the `send` of every rule it matches; when none matches and it is
 * at least fallbackSeverity, the fallback. A failure (at least FAILURE_SEVERITY) of an entry is
 * remembered per destination; that entry's next `Up` goes, marked `resolves: true`, to exactly the
 * destinations still in `config` that were told, and they are forgotten. A test event (`test: true`)
 * is sent by `padmin -c test alert` to the destination it names, never routed: it gets no route.
 */
export function route(config: AlertConfig, told: Told, event: AlertEvent): Routing {
  if (event.test === true) return { routes: [], rules: [], fallback: false, told };
  const matched = config.rules.filter((rule) => matches(rule, event));
  const fallback = matched.length === 0 && config.fallback.length > 0 && atLeast(event.severity, config.fallbackSeverity);
  const sent = unique(fallback ? config.fallback : matched.flatMap((rule) => rule.send));
  const entry = entryKey(event);
  let resolving: readonly string[] = [];
  let after = told;
  if (entry !== null && event.key === UP_KEY) {
    // DOWN -> UP: whoever heard of the failure hears that it is over
    const known = new Set(config.destinations.map((destination) => destination.name));
    resolving = (Object.hasOwn(told, entry) ? (told[entry] as readonly string[]) : []).filter((name) => known.has(name));
    after = without(told, entry);
  } else if (entry !== null && sent.length > 0 && atLeast(event.severity, FAILURE_SEVERITY)) {
    const before = Object.hasOwn(told, entry) ? (told[entry] as readonly string[]) : [];
    const added = unique([...before, ...sent]);
    if (added.length > before.length) after = Object.freeze({ ...told, [entry]: Object.freeze(added) });
  }
  const resolves: AlertEvent = { ...event, resolves: true };
  const routes = unique([...sent, ...resolving]).map((destination) => ({
    destination,
    event: resolving.includes(destination) ? resolves : event,
  }));
  return { routes, rules: matched.map((rule) => rule.name), fallback, told: after };
}

/** The key an entry's failures are remembered under; null for an event about no entry. */
function entryKey(event: AlertEvent): string | null {
  return event.pentId === null || event.pname === null ? null : `${event.pentId} ${event.pname}`;
}

function without(told: Told, entry: string): Told {
  if (!Object.hasOwn(told, entry)) return told;
  const rest: Record<string, readonly string[]> = { ...told };
  delete rest[entry];
  return Object.freeze(rest);
}

function unique(names: readonly string[]): string[] {
  return [...new Set(names)];
}
