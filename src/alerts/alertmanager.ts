// The Alertmanager destination: each event becomes an alert POSTed to <url>/api/v2/alerts, and the
// entry's Up resolves every alert of that entry still firing there. Alertmanager itself is the memory
// of what fired: a resolution asks it which alerts of the entry are open, so nothing is lost when
// pcheck restarts, and pcheck keeps no state of its own.
import { getJson, postJson, shownUrl, type HttpTarget } from './http.js';
import type { AlertEvent, AlertmanagerDestination, Sender } from './types.js';

/** An alert as Alertmanager's API v2 takes it (postableAlert). */
export interface PostableAlert {
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  /** RFC 3339. */
  readonly startsAt: string;
  readonly endsAt: string;
}

export const ALERTS_PATH = '/api/v2/alerts';
/** An entry's failure fires this long unless its Up resolves it first. */
export const ENTRY_HOLD_SECONDS = 7 * 24 * 3600;
/** An event about no entry (nothing will resolve it) fires this long. */
export const NOTE_HOLD_SECONDS = 3600;
/** `padmin -c test alert`'s event fires this long: enough for a notification to go out. */
export const TEST_HOLD_SECONDS = 300;
/** What is read of Alertmanager's list of a host's open alerts, at most. */
export const MAX_OPEN_ALERTS_BYTES = 4 * 1024 * 1024;

/** `PcheckDown`, `PcheckRetryOver`, `PcheckStallWeb`: from the catalogue key; `PcheckTest` for a test. */
export function alertName(event: AlertEvent): string {
  if (event.test === true) return 'PcheckTest';
  const key = event.key.replace(/[^A-Za-z0-9_]/g, '_');
  return `Pcheck${key.charAt(0).toUpperCase()}${key.slice(1)}`;
}

/** What identifies the alert: the same event of the same entry of the same pcheck is the same alert. */
export function alertLabels(event: AlertEvent): Record<string, string> {
  const labels: Record<string, string> = { alertname: alertName(event), host: event.host, pfile: event.pfile };
  if (event.pname !== null) labels.pname = event.pname;
  if (event.pentId !== null) labels.pent_id = String(event.pentId);
  labels.event_id = event.id;
  labels.severity = event.severity;
  return labels;
}

/** An Up, whether or not the router marked it: in Alertmanager an Up only ever ends something. */
export function isResolution(event: AlertEvent): boolean {
  return event.resolves === true || event.key === 'up';
}

/**
 * The alerts to POST for `events`, in order: each event fires its alert; a resolution ends every alert
 * of its entry still open, in this batch or among `open` (what Alertmanager holds). One alert per label
 * set, in its last state.
 */
export function alertsToPost(events: readonly AlertEvent[], open: readonly PostableAlert[]): PostableAlert[] {
  const batch = new Map<string, PostableAlert>();
  for (const event of events) {
    const time = timeOf(event);
    if (isResolution(event)) {
      const candidates = [...open.filter((alert) => !batch.has(identity(alert.labels))), ...batch.values()];
      for (const alert of candidates) {
        if (!ofEntry(alert, event) || Date.parse(alert.endsAt) <= Date.parse(time)) continue;
        batch.set(identity(alert.labels), {
          labels: alert.labels,
          annotations: { ...alert.annotations, resolved_by: event.text },
          startsAt: alert.startsAt,
          // Alertmanager refuses an end before the start
          endsAt: Date.parse(alert.startsAt) > Date.parse(time) ? alert.startsAt : time,
        });
      }
      continue;
    }
    const labels = alertLabels(event);
    const key = identity(labels);
    const earlier = batch.get(key);
    const stillOpen = earlier !== undefined && Date.parse(earlier.endsAt) > Date.parse(time);
    batch.set(key, {
      labels,
      annotations: annotationsOf(event),
      startsAt: stillOpen ? earlier.startsAt : time,
      endsAt: new Date(Date.parse(time) + holdSeconds(event) * 1000).toISOString(),
    });
  }
  return [...batch.values()];
}

export function alertmanagerSender(dest: AlertmanagerDestination): Sender {
  const target: HttpTarget = { url: alertsUrl(dest.url), timeoutSeconds: dest.timeoutSeconds, verify: dest.verify, ca: dest.ca };
  return async (events) => {
    if (events.length === 0) return;
    // the two requests share the destination's timeout
    const deadline = Date.now() + dest.timeoutSeconds * 1000;
    const resolving = events.filter((event) => isResolution(event) && event.pentId !== null);
    const open = resolving.length === 0 ? [] : await openAlerts({ ...target, deadline }, resolving);
    const alerts = alertsToPost(events, open);
    if (alerts.length > 0) await postJson({ ...target, deadline }, alerts);
  };
}

/** The alerts Alertmanager holds, firing, for the entries being resolved. */
async function openAlerts(target: HttpTarget, resolving: readonly AlertEvent[]): Promise<PostableAlert[]> {
  const hosts = [...new Set(resolving.map((event) => event.host))];
  const found: PostableAlert[] = [];
  const what = `GET ${shownUrl(target)}`;
  if (!URL.canParse(target.url)) throw new Error(`${what}: not a URL`);
  for (const host of hosts) {
    const url = new URL(target.url);
    url.searchParams.append('filter', `host=${quoted(host)}`);
    url.searchParams.append('filter', 'alertname=~"Pcheck.+"');
    const answer = await getJson({ ...target, url: url.href }, MAX_OPEN_ALERTS_BYTES);
    let listed: unknown;
    try {
      listed = JSON.parse(answer.body);
    } catch {
      throw new Error(`${what}: the answer is not JSON`);
    }
    if (!Array.isArray(listed)) throw new Error(`${what}: the answer is not a list of alerts`);
    for (const item of listed) {
      const alert = asPostable(item);
      if (alert !== null && resolving.some((event) => ofEntry(alert, event))) found.push(alert);
    }
  }
  return found;
}

function ofEntry(alert: PostableAlert, event: AlertEvent): boolean {
  const labels = alert.labels;
  return (
    labels.host === event.host &&
    labels.pfile === event.pfile &&
    labels.pent_id === String(event.pentId) &&
    labels.pname === (event.pname ?? undefined) &&
    labels.alertname !== undefined &&
    labels.alertname.startsWith('Pcheck')
  );
}

/** The event's time, normalized; now if it is not a time (Alertmanager would refuse the alert). */
function timeOf(event: AlertEvent): string {
  const ms = Date.parse(event.time);
  return new Date(Number.isNaN(ms) ? Date.now() : ms).toISOString();
}

function holdSeconds(event: AlertEvent): number {
  if (event.test === true) return TEST_HOLD_SECONDS;
  return event.pentId === null ? NOTE_HOLD_SECONDS : ENTRY_HOLD_SECONDS;
}

function annotationsOf(event: AlertEvent): Record<string, string> {
  const annotations: Record<string, string> = { summary: event.text, event_uid: event.uid };
  if (event.pid !== null) annotations.pid = String(event.pid);
  if (Object.keys(event.fields).length > 0) annotations.fields = JSON.stringify(event.fields);
  return annotations;
}

/** A label set as one string, whatever the order of its names. */
function identity(labels: Readonly<Record<string, string>>): string {
  return JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** A matcher value: Alertmanager's matchers take Go-style quoted strings. */
function quoted(value: string): string {
  return JSON.stringify(value);
}

/** `<base>/api/v2/alerts`, whatever the base's trailing slashes; the base as is if it is no URL (the request says so). */
export function alertsUrl(base: string): string {
  if (!URL.canParse(base)) return base;
  const url = new URL(base);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}${ALERTS_PATH}`;
  url.search = '';
  url.hash = '';
  return url.href;
}

/** One item of GET /api/v2/alerts (a gettableAlert) as a postable alert; null if it is not one. */
function asPostable(item: unknown): PostableAlert | null {
  if (typeof item !== 'object' || item === null) return null;
  const { labels, annotations, startsAt, endsAt } = item as Record<string, unknown>;
  if (!isStringRecord(labels) || typeof startsAt !== 'string' || typeof endsAt !== 'string') return null;
  return { labels, annotations: isStringRecord(annotations) ? annotations : {}, startsAt, endsAt };
}

function isStringRecord(value: unknown): value is Record<string, string> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.values(value).every((v) => typeof v === 'string');
}
