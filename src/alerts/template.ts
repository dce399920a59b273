// Subject and body templates: `{name}` is replaced by the event's value of that name. Pure.
import type { AlertEvent } from './types.js';

/** `[pcheck <host>] <text>`; a coalesced message adds ` (+N more)`. */
export const DEFAULT_SUBJECT = '[pcheck {host}] {text}';

/** One block per event; the blocks of a coalesced message follow each other, a blank line apart. */
export const DEFAULT_BODY = [
  'time:     {time}',
  'host:     {host}',
  'pfile:    {pfile}',
  'entry:    {pent_id} {pname}',
  'pid:      {pid}',
  'event:    {id} {key} ({severity})',
  'text:     {text}',
].join('\n');

/** Longest subject rendered, in characters (code points); past it the subject is cut and ends in `...`. */
export const SUBJECT_LIMIT = 200;

/** Written before the subject, and above the event's block in the body. */
const MARKS = Object.freeze({
  resolves: 'RESOLVED',
  test: 'TEST',
});

const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_]*)\}/g;
/** What `{pname}`, `{pent_id}` and `{pid}` show when the event has none (as `show pent` shows an unknown pid). */
const NONE = '-';

/**
 * The subject of a message of `events`: the template with the first event's values, `{count}` the
 * number of events; when there are several and the template has no `{count}`, ` (+N more)` is
 * added. A resolution or a test event is marked `[RESOLVED]` / `[TEST]` in front whatever the
 * template says. One line: line breaks in the values become blanks.
 */
export function renderSubject(template: string, events: readonly AlertEvent[]): string {
  const [first] = events;
  if (first === undefined) return oneLine(template);
  let subject = fill(template, first, events.length);
  if (events.length > 1 && !hasPlaceholder(template, 'count')) subject += ` (+${events.length - 1} more)`;
  const mark = markOf(first);
  // cut by code points: half a surrogate pair would be a broken character in any charset
  const characters = Array.from(oneLine(mark === null ? subject : `[${mark}] ${subject}`));
  return characters.length <= SUBJECT_LIMIT ? characters.join('') : `${characters.slice(0, SUBJECT_LIMIT - 3).join('')}...`;
}

/**
 * The body of a message of `events`: the template rendered for each event, `{count}` the number of
 * events; blocks a blank line apart, each resolution or test event headed by a line that says so,
 * and a first line `<N> events:` when there are several.
 */
export function renderBody(template: string, events: readonly AlertEvent[]): string {
  const blocks = events.map((event) => {
    const mark = markOf(event);
    const block = fill(template, event, events.length);
    return mark === null ? block : `*** ${mark}: ${markText(event)} ***\n${block}`;
  });
  return events.length > 1 ? `${events.length} events:\n\n${blocks.join('\n\n')}` : blocks.join('\n\n');
}

/**
 * The value `{name}` stands for in `event`: one of the names every event has, else the event's
 * field of that name; undefined when it has none (the placeholder stays as written).
 */
function valueOf(name: string, event: AlertEvent, count: number): string | undefined {
  switch (name) {
    case 'id':
      return event.id;
    case 'key':
      return event.key;
    case 'severity':
      return event.severity;
    case 'text':
      return event.text;
    case 'time':
      return event.time;
    case 'host':
      return event.host;
    case 'pfile':
      return event.pfile;
    case 'pname':
      return event.pname ?? NONE;
    case 'pent_id':
      return event.pentId === null ? NONE : String(event.pentId);
    case 'pid':
      return event.pid === null ? NONE : String(event.pid);
    case 'count':
      return String(count);
  }
  if (!Object.hasOwn(event.fields, name)) return undefined;
  const value = event.fields[name];
  return typeof value === 'string' ? value : value === undefined ? undefined : JSON.stringify(value);
}

function fill(template: string, event: AlertEvent, count: number): string {
  return template.replace(PLACEHOLDER, (written, name: string) => valueOf(name, event, count) ?? written);
}

// a `{` not followed by a name and `}` is text
function hasPlaceholder(template: string, name: string): boolean {
  return [...template.matchAll(PLACEHOLDER)].some((match) => match[1] === name);
}

function markOf(event: AlertEvent): string | null {
  if (event.test === true) return MARKS.test;
  if (event.resolves === true) return MARKS.resolves;
  return null;
}

function markText(event: AlertEvent): string {
  return event.test === true ? 'a test sent by padmin -c test alert; nothing happened' : 'the entry is up again';
}

function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, ' ');
}
