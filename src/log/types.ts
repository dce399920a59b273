import type { Emitter, PcheckEvent } from '../events/stream.js';

/** Where every catalogued message goes: syslog (or stderr), the pino log, and stderr in the foreground. */
export interface MessageLog extends Emitter {
  /** The sink: writes one event. */
  write(event: PcheckEvent): void;
  /** Flushes and releases destinations (the syslog writer, the pino file). */
  close(): Promise<void>;
  /** Opens the structured log's file again by its path (after logrotate moved it). */
  reopen(): void;
}
