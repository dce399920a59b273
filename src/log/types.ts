import type { FieldsOf, MessageKey } from './catalogue.js';

/** Where every catalogued message goes: syslog (or stderr), the pino log, and stderr in the foreground. */
export interface MessageLog {
  emit<K extends MessageKey>(key: K, fields: FieldsOf<K>): void;
  /** Flushes and releases destinations (the syslog writer, the pino file). */
  close(): Promise<void>;
  /** Opens the structured log's file again by its path (after logrotate moved it). */
  reopen(): void;
}
