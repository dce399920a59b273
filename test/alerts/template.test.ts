import { describe, expect, it } from 'vitest';
import { DEFAULT_BODY, DEFAULT_SUBJECT, renderBody, renderSubject, SUBJECT_LIMIT } from '../../src/alerts/template.js';
import type { AlertEvent } from '../../src/alerts/types.js';

const down: AlertEvent = {
  uid: '1748746800000-42-1',
  id: 'PC102',
  key: 'down',
  severity: 'warning',
  text: "Process ['httpd',pid=4242] Down",
  time: '2025-06-01T03:00:00.000Z',
  host: 'db1',
  pfile: '/etc/pcheck/db1.pfile',
  pname: 'httpd',
  pentId: 1,
  pid: 4242,
  fields: { name: 'httpd', pid: 4242, reason: 'gone' },
};
const retryOver: AlertEvent = {
  ...down,
  uid: '1748746801000-42-2',
  id: 'PC109',
  key: 'retryOver',
  severity: 'err',
  text: "Retry over ('httpd') retries=3 action=exit",
  time: '2025-06-01T03:00:01.000Z',
  pid: null,
  fields: { name: 'httpd', retries: 3, action: 'exit' },
};
const crashed: AlertEvent = {
  ...down,
  id: 'PC013',
  key: 'crashed',
  severity: 'err',
  text: 'pcheck stop on an unexpected error. status=70 boom',
  pname: null,
  pentId: null,
  pid: null,
  fields: { error: 'boom', status: 70, detail: { errno: -5 } },
};

describe('renderSubject', () => {
  it('the default: host and text', () => {
    expect(renderSubject(DEFAULT_SUBJECT, [down])).toBe("[pcheck db1] Process ['httpd',pid=4242] Down");
  });

  it('every standard name, and the event fields by their names', () => {
    const template = '{id} {key} {severity} {text} {time} {host} {pfile} {pname} {pent_id} {pid} {count} {reason}';
    expect(renderSubject(template, [down])).toBe(
      "PC102 down warning Process ['httpd',pid=4242] Down 2025-06-01T03:00:00.000Z db1 /etc/pcheck/db1.pfile httpd 1 4242 1 gone",
    );
    expect(renderSubject('{retries}/{action}', [retryOver])).toBe('3/exit');
  });

  it('an event about no entry shows -; a field that is not text is JSON', () => {
    expect(renderSubject('{pname} {pent_id} {pid} {status} {detail}', [crashed])).toBe('- - - 70 {"errno":-5}');
  });

  it('an unknown name stays as written; a brace not around a name is text', () => {
    expect(renderSubject('{hots} {reason} { text } {} {"a":1}', [retryOver])).toBe('{hots} {reason} { text } {} {"a":1}');
    expect(renderSubject('{constructor} {toString}', [down])).toBe('{constructor} {toString}');
  });

  it('several events: the first one, and (+N more) unless the template counts them', () => {
    expect(renderSubject(DEFAULT_SUBJECT, [down, retryOver, retryOver])).toBe("[pcheck db1] Process ['httpd',pid=4242] Down (+2 more)");
    expect(renderSubject('{count} events on {host}', [down, retryOver])).toBe('2 events on db1');
  });

  it('resolutions and tests are marked whatever the template', () => {
    const up: AlertEvent = { ...down, id: 'PC101', key: 'up', severity: 'notice', text: "('httpd' ,pid=4300) Up", resolves: true };
    expect(renderSubject('{text}', [up])).toBe("[RESOLVED] ('httpd' ,pid=4300) Up");
    expect(renderSubject(DEFAULT_SUBJECT, [{ ...down, test: true }])).toBe("[TEST] [pcheck db1] Process ['httpd',pid=4242] Down");
  });

  it('one line, cut past the limit', () => {
    const output: AlertEvent = { ...down, text: 'line one\r\nline two\nthree' };
    expect(renderSubject('{text}', [output])).toBe('line one line two three');
    const long = renderSubject('{text}', [{ ...down, text: 'x'.repeat(500) }]);
    expect(long).toHaveLength(SUBJECT_LIMIT);
    expect(long.endsWith('...')).toBe(true);
    const emoji = renderSubject('{text}', [{ ...down, text: '\u{1F525}'.repeat(300) }]);
    expect(Array.from(emoji)).toHaveLength(SUBJECT_LIMIT);
    expect(emoji.isWellFormed()).toBe(true);
  });

  it('no event: the template as it is', () => {
    expect(renderSubject(DEFAULT_SUBJECT, [])).toBe(DEFAULT_SUBJECT);
  });
});

describe('renderBody', () => {
  it('the default lists time, host, pfile, entry, pid, id and text', () => {
    expect(renderBody(DEFAULT_BODY, [down])).toBe(
      [
        'time:     2025-06-01T03:00:00.000Z',
        'host:     db1',
        'pfile:    /etc/pcheck/db1.pfile',
        'entry:    1 httpd',
        'pid:      4242',
        'event:    PC102 down (warning)',
        "text:     Process ['httpd',pid=4242] Down",
      ].join('\n'),
    );
  });

  it('several events: counted, one block each, a blank line apart', () => {
    expect(renderBody('{id} {text} ({count})', [down, retryOver])).toBe(
      "2 events:\n\nPC102 Process ['httpd',pid=4242] Down (2)\n\nPC109 Retry over ('httpd') retries=3 action=exit (2)",
    );
  });

  it('each resolution and test event is headed by what it is', () => {
    const up: AlertEvent = { ...down, id: 'PC101', key: 'up', severity: 'notice', text: "('httpd' ,pid=4300) Up", resolves: true };
    expect(renderBody('{text}', [down, up])).toBe(
      "2 events:\n\nProcess ['httpd',pid=4242] Down\n\n*** RESOLVED: the entry is up again ***\n('httpd' ,pid=4300) Up",
    );
    expect(renderBody('{text}', [{ ...down, test: true }])).toBe(
      "*** TEST: a test sent by padmin -c test alert; nothing happened ***\nProcess ['httpd',pid=4242] Down",
    );
  });

  it('line breaks in a body are kept', () => {
    expect(renderBody('{text}', [{ ...down, text: 'a\nb' }])).toBe('a\nb');
  });
});
