// The one event stream: every catalogue message is an event, emitted in one place; the logs, the
// alerts and whatever else needs to know subscribe to it. A sink that throws is its own business:
// the others still get the event, and the emitter (the monitor) never sees the error.
import { MSG, type FieldsOf, type MessageKey, type Severity } from '../log/catalogue.js';

/** The entry an event is about, when it is about one. */
export interface EntryRef {
  readonly pentId: number;
  readonly pname: string;
}

export interface PcheckEvent {
  /** The catalogue id: `PC102`. */
  readonly id: string;
  readonly key: MessageKey;
  readonly severity: Severity;
  /** The message as syslog gets it. */
  readonly text: string;
  readonly fields: Readonly<Record<string, unknown>>;
  /** Epoch ms. */
  readonly at: number;
  readonly entry: EntryRef | null;
  /** The watched process's pid, when the message names one. */
  readonly pid: number | null;
}

/** What emits: the supervisor, the daemon, padmin. */
export interface Emitter {
  emit<K extends MessageKey>(key: K, fields: FieldsOf<K>, entry?: EntryRef): void;
}

export type Sink = (event: PcheckEvent) => void;

/** Builds the event of a catalogue message. */
export function eventOf<K extends MessageKey>(key: K, fields: FieldsOf<K>, entry: EntryRef | null = null, at = Date.now()): PcheckEvent {
  const message = MSG[key];
  const record = fields as Record<string, unknown>;
  return {
    id: message.id,
    key,
    severity: message.severity,
    text: (message.text as (f: FieldsOf<K>) => string)(fields),
    fields: record,
    at,
    entry,
    pid: typeof record.pid === 'number' ? record.pid : null,
  };
}

export class EventStream implements Emitter {
  private readonly sinks = new Set<Sink>();

  constructor(private readonly onSinkError: (error: unknown) => void = () => undefined) {}

  /** Adds a sink; returns the function that removes it. */
  subscribe(sink: Sink): () => void {
    this.sinks.add(sink);
    return () => this.sinks.delete(sink);
  }

  emit<K extends MessageKey>(key: K, fields: FieldsOf<K>, entry?: EntryRef): void {
    this.publish(eventOf(key, fields, entry ?? null));
  }

  publish(event: PcheckEvent): void {
    for (const sink of this.sinks) {
      try {
        sink(event);
      } catch (error) {
        this.onSinkError(error);
      }
    }
  }
}
