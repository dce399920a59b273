// Alerts: the alert file's frozen configuration, the event as an alert carries it, and the one
// interface every destination kind implements. Shared by the parser, the router, the queue and the
// senders; nothing here does I/O.
import type { Severity } from '../log/catalogue.js';

/** One catalogue event as it is queued, spooled and sent: plain JSON. */
export interface AlertEvent {
  /** Unique per event (spool file name, dedup): `<epoch ms>-<pid>-<counter>`. */
  readonly uid: string;
  /** The catalogue id, `PC102`. */
  readonly id: string;
  /** The catalogue key, `down`. */
  readonly key: string;
  readonly severity: Severity;
  readonly text: string;
  /** ISO 8601, when pcheck emitted it. */
  readonly time: string;
  /** os.hostname() of the pcheck that emitted it. */
  readonly host: string;
  /** The pfile's absolute path. */
  readonly pfile: string;
  readonly pname: string | null;
  readonly pentId: number | null;
  readonly pid: number | null;
  /** The catalogue message's own fields (reason, retries, port, ...). */
  readonly fields: Readonly<Record<string, unknown>>;
  /** Set on an `Up` that ends a failure this destination was told of: a resolution. */
  readonly resolves?: boolean;
  /** Set on the event `padmin -c test alert` sends. */
  readonly test?: boolean;
}

export type TlsMode = 'none' | 'starttls' | 'tls';

interface DestinationBase {
  /** As written in the alert file: rules name destinations by it. */
  readonly name: string;
  /** The line the destination's block starts on. */
  readonly line: number;
  /** Per attempt: connect, TLS, request and answer together. */
  readonly timeoutSeconds: number;
}

export interface MailDestination extends DestinationBase {
  readonly kind: 'mail';
  readonly host: string;
  readonly port: number;
  /** none: plain SMTP; starttls: STARTTLS required; tls: implicit TLS (port 465). */
  readonly tls: TlsMode;
  /** Verify the server's certificate and name (default yes). */
  readonly verify: boolean;
  /** PEM file of the CA(s) to trust instead of the system's. */
  readonly ca: string | null;
  readonly from: string;
  readonly to: readonly string[];
  readonly authUser: string | null;
  /** A file holding the password (0600, read when sending; never in the pfile, never logged). */
  readonly authPasswordFile: string | null;
  readonly charset: 'utf-8' | 'iso-2022-jp';
  /** MIME-encode the subject (RFC 2047); when no, a non-ASCII subject is sent as is. */
  readonly encodeSubject: boolean;
  /** Templates: `{field}` is replaced by the event's (see docs/alerts.md). */
  readonly subject: string;
  readonly body: string;
}

export interface WebhookDestination extends DestinationBase {
  readonly kind: 'webhook';
  /** http:// or https:// */
  readonly url: string;
  /** json: the events as JSON; text: `{"text": "..."}` as Slack and Teams incoming webhooks take it. */
  readonly shape: 'json' | 'text';
  readonly verify: boolean;
  readonly ca: string | null;
  /** A file holding a bearer token, sent as `Authorization: Bearer <token>`. */
  readonly tokenFile: string | null;
}

export interface AlertmanagerDestination extends DestinationBase {
  readonly kind: 'alertmanager';
  /** The Alertmanager's base URL: alerts are POSTed to <url>/api/v2/alerts. */
  readonly url: string;
  readonly verify: boolean;
  readonly ca: string | null;
}

export interface CommandDestination extends DestinationBase {
  readonly kind: 'command';
  /** Absolute path of an executable file. */
  readonly path: string;
  readonly args: readonly string[];
}

export type Destination = MailDestination | WebhookDestination | AlertmanagerDestination | CommandDestination;

export interface AlertRule {
  readonly name: string;
  readonly line: number;
  /** Every one must appear in `<id> <text>` of the event (case-sensitive, as the seed's filter service). */
  readonly keywords: readonly string[];
  /** The least severity that matches (default warning). */
  readonly minSeverity: Severity;
  /** Limits the rule to one entry: its pent_id or its pname; null for every event. */
  readonly entry: number | string | null;
  /** Destination names. */
  readonly send: readonly string[];
}

export interface AlertConfig {
  /** Absolute path of the alert file. */
  readonly file: string;
  readonly destinations: readonly Destination[];
  readonly rules: readonly AlertRule[];
  /** Destinations of an event no rule matched (that is at least `fallbackSeverity`). */
  readonly fallback: readonly string[];
  readonly fallbackSeverity: Severity;
  /** Events for one destination within this window go out as one message. */
  readonly coalesceSeconds: number;
  /** An undelivered message is retried with backoff for this long, then dropped with a warning. */
  readonly retrySeconds: number;
  /** Queued messages kept per destination; past it the oldest is dropped, with a warning. */
  readonly spoolLimit: number;
}

/**
 * Sends one message made of `events` (one or more, coalesced) to its destination. Resolves once the
 * destination accepted it; rejects with an Error whose message says exactly why not (it is shown by
 * `padmin -c test alert` and logged once per outage). Never takes longer than the destination's
 * timeout, and never throws synchronously.
 */
export type Sender = (events: readonly AlertEvent[]) => Promise<void>;
