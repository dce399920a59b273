// Subject and body templates. A minimal stand-in written in the mail helper's tree so it builds: the
// template helper's full version (same exports, same signatures) replaces this file at merge.
import type { AlertEvent } from './types.js';

export const DEFAULT_SUBJECT = '[pcheck] {host}: {text}';
export const DEFAULT_BODY = '{time} {host} {id} {severity} {text}';

/** The subject of a message about `events`: the first event's, and how many more there are. */
export function renderSubject(template: string, events: readonly AlertEvent[]): string {
  const first = events[0];
  if (first === undefined) return template;
  const subject = fill(template, first);
  return events.length > 1 ? `${subject} (+${events.length - 1} more)` : subject;
}

/** The body of a message about `events`: the template filled once per event, one after another. */
export function renderBody(template: string, events: readonly AlertEvent[]): string {
  return events.map((event) => fill(template, event)).join('\n');
}

// `{name}`: the event's own field, else its catalogue field, else nothing
function fill(template: string, event: AlertEvent): string {
  return template.replace(/\{(\w+)\}/g, (_whole, name: string) => {
    const value = name in event ? (event as unknown as Record<string, unknown>)[name] : event.fields[name];
    return value === undefined || value === null ? '' : String(value);
  });
}
