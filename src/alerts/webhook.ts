// The webhook destination: one POST per message, its body either the events as JSON or the one
// `text` field that Slack, Teams and Mattermost incoming webhooks take.
import { postJson } from './http.js';
import type { AlertEvent, Sender, WebhookDestination } from './types.js';

/** shape json: every event as queued, with the pcheck it came from. */
export interface WebhookJsonBody {
  readonly host: string;
  readonly pfile: string;
  readonly events: readonly AlertEvent[];
}

/** shape text: one line per event, `[severity] host pname: text`, marked as the mail subject is. */
export interface WebhookTextBody {
  readonly text: string;
}

/** The body a webhook destination of `shape` is sent for `events` (one or more, of one pcheck). */
export function webhookBody(shape: WebhookDestination['shape'], events: readonly AlertEvent[]): WebhookJsonBody | WebhookTextBody {
  const first = events[0];
  if (shape === 'text') return { text: events.map(textLine).join('\n') };
  return { host: first?.host ?? '', pfile: first?.pfile ?? '', events };
}

/**
 * `[err] web01 httpd: Retry over ('httpd') retries=3 action=none`; without pname when the event has no
 * entry; `[RESOLVED] ` before a resolution and `[TEST] ` before a test, as mail subjects are marked.
 */
export function textLine(event: AlertEvent): string {
  const about = event.pname === null ? event.host : `${event.host} ${event.pname}`;
  const mark = event.test === true ? '[TEST] ' : event.resolves === true ? '[RESOLVED] ' : '';
  return `${mark}[${event.severity}] ${about}: ${event.text}`;
}

export function webhookSender(dest: WebhookDestination): Sender {
  const target = {
    url: dest.url,
    timeoutSeconds: dest.timeoutSeconds,
    verify: dest.verify,
    ca: dest.ca,
    tokenFile: dest.tokenFile,
    // Slack's, Teams' and Discord's webhook URLs carry their secret in the path
    showPath: false,
  };
  return async (events) => {
    if (events.length === 0) return;
    await postJson(target, webhookBody(dest.shape, events));
  };
}
