import { describe, expect, it } from 'vitest';
import { eventOf, EventStream, type PcheckEvent } from '../../src/events/stream.js';

describe('event stream', () => {
  it('every sink gets each catalogue message as an event with its id, severity, text, entry and pid', () => {
    const stream = new EventStream();
    const seen: PcheckEvent[] = [];
    stream.subscribe((event) => seen.push(event));
    stream.emit('down', { name: 'httpd', pid: 42, reason: 'gone' }, { pentId: 3, pname: 'httpd' });
    expect(seen).toEqual([
      expect.objectContaining({ id: 'PC102', key: 'down', severity: 'warning', text: "Process ['httpd',pid=42] Down", entry: { pentId: 3, pname: 'httpd' }, pid: 42 }),
    ]);
  });

  it('a sink that throws neither stops the others nor reaches the emitter', () => {
    const errors: unknown[] = [];
    const stream = new EventStream((error) => errors.push(error));
    const seen: string[] = [];
    stream.subscribe(() => {
      throw new Error('mail server down');
    });
    stream.subscribe((event) => seen.push(event.id));
    expect(() => stream.emit('setPidFail', { name: 'httpd' })).not.toThrow();
    expect(seen).toEqual(['PC105']);
    expect(String(errors[0])).toContain('mail server down');
  });

  it('unsubscribing stops delivery; events without an entry or pid say null', () => {
    const stream = new EventStream();
    const seen: PcheckEvent[] = [];
    const stop = stream.subscribe((event) => seen.push(event));
    stream.emit('dumpNotSet', { pfile: '/p' });
    stop();
    stream.emit('dumpNotSet', { pfile: '/p' });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ entry: null, pid: null });
    expect(eventOf('up', { name: 'x', pid: 7 }, null, 5).at).toBe(5);
  });
});
