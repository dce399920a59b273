// The alert sink: takes every event of the stream, routes it by the alert file's rules, and hands
// it to each destination's queue; answers padmin's `show alert` and `test alert`. Delivery happens
// in the queues, on their own timers: nothing here ever makes the monitor wait.
import type { AlertStatusView, AlertTestView } from '../control/protocol.js';
import type { Emitter, PcheckEvent } from '../events/stream.js';
import { withDeadline } from '../system/timers.js';
import type { DeliveryQueue } from './queue.js';
import { NOTHING_TOLD, route, type Told } from './router.js';
import type { AlertConfig, AlertEvent, Destination, Sender } from './types.js';

/** What a destination's queue offers the service (DeliveryQueue, or a fake in tests). */
export type Queue = Pick<DeliveryQueue, 'enqueue' | 'status' | 'stop'>;

/** How a destination is served: the real senders and queues, or fakes in tests. */
export interface AlertServiceParts {
  readonly queue: (destination: Destination, config: AlertConfig, sender: Sender) => Queue;
  readonly sender: (destination: Destination) => Sender;
}

export interface AlertServiceOptions {
  readonly host: string;
  readonly pfile: string;
  readonly log: Emitter;
  readonly now: () => number;
  /** The longest `test alert` waits for one destination. */
  readonly testLimitMs: number;
}

/** Messages about the alert machinery itself are never alerts: a mail server that is down must not be told by mail that it is down. */
const OWN_IDS = /^PC3\d\d$/;

interface Running {
  readonly destination: Destination;
  /** The destination as written: a reload keeps the queue of one that did not change. */
  readonly key: string;
  readonly sender: Sender;
  readonly queue: Queue;
}

export class AlertService {
  /** Which destinations were told of each entry's failure: they get its resolution. Kept across reloads. */
  private told: Told = NOTHING_TOLD;
  private running = new Map<string, Running>();
  private counter = 0;

  constructor(
    private config: AlertConfig,
    private readonly parts: AlertServiceParts,
    private readonly options: AlertServiceOptions,
  ) {
    this.running = this.start(config, new Map());
  }

  /** The sink: an event of the stream. */
  accept(event: PcheckEvent): void {
    if (OWN_IDS.test(event.id)) return;
    const routing = route(this.config, this.told, this.toAlertEvent(event));
    this.told = routing.told;
    for (const routed of routing.routes) this.running.get(routed.destination)?.queue.enqueue(routed.event);
  }

  /** A new alert file: unchanged destinations keep their queue (and what is in it); the rules are replaced. */
  reload(config: AlertConfig): void {
    const kept = new Map<string, Running>();
    for (const [name, old] of this.running) {
      const destination = config.destinations.find((candidate) => candidate.name === name);
      // two queues must never serve one spool: a changed destination's queue stops before its successor starts
      if (destination !== undefined && destinationKey(destination, config) === old.key) kept.set(name, old);
      else old.queue.stop();
    }
    this.running = this.start(config, kept);
    this.config = config;
  }

  get currentConfig(): AlertConfig {
    return this.config;
  }

  /** `padmin -c test alert [-d name]`: a test event straight through each destination's sender (not queued). Null: no such destination. */
  async test(only?: string): Promise<AlertTestView[] | null> {
    const targets = [...this.running.values()].filter((running) => only === undefined || running.destination.name === only);
    if (targets.length === 0) return null;
    const event = this.testEvent();
    return Promise.all(
      targets.map(async ({ destination, sender }): Promise<AlertTestView> => {
        const started = this.options.now();
        const seconds = () => (this.options.now() - started) / 1000;
        try {
          const limit = this.options.testLimitMs;
          await withDeadline(sender([event]), limit, () => new Error(`no answer within ${limit / 1000} s`));
          return { destination: destination.name, kind: destination.kind, delivered: true, error: null, seconds: seconds() };
        } catch (error) {
          return { destination: destination.name, kind: destination.kind, delivered: false, error: (error as Error).message, seconds: seconds() };
        }
      }),
    );
  }

  /** `padmin -c show alert`. */
  status(): AlertStatusView[] {
    const iso = (at: number | null) => (at === null ? null : new Date(at).toISOString());
    return [...this.running.values()].map(({ destination, queue }) => {
      const status = queue.status();
      return {
        destination: destination.name,
        kind: destination.kind,
        queued: status.queued,
        oldest_queued: iso(status.oldestQueuedAt),
        last_success: iso(status.lastSuccessAt),
        last_error: status.lastError?.text ?? null,
        last_error_time: iso(status.lastError?.at ?? null),
        outage: status.outageSince !== null,
      };
    });
  }

  stop(): void {
    for (const running of this.running.values()) running.queue.stop();
  }

  private start(config: AlertConfig, previous: ReadonlyMap<string, Running>): Map<string, Running> {
    const next = new Map<string, Running>();
    for (const destination of config.destinations) {
      const key = destinationKey(destination, config);
      const kept = previous.get(destination.name);
      if (kept !== undefined) {
        next.set(destination.name, kept);
        continue;
      }
      const sender = this.parts.sender(destination);
      next.set(destination.name, { destination, key, sender, queue: this.parts.queue(destination, config, sender) });
    }
    return next;
  }

  private toAlertEvent(event: PcheckEvent): AlertEvent {
    return {
      uid: this.uid(event.at),
      id: event.id,
      key: event.key,
      severity: event.severity,
      text: event.text,
      time: new Date(event.at).toISOString(),
      host: this.options.host,
      pfile: this.options.pfile,
      pname: event.entry?.pname ?? null,
      pentId: event.entry?.pentId ?? null,
      pid: event.pid,
      fields: event.fields,
    };
  }

  private testEvent(): AlertEvent {
    const at = this.options.now();
    return {
      uid: this.uid(at),
      id: 'TEST',
      key: 'test',
      severity: 'notice',
      text: `Test alert from pcheck on ${this.options.host}. pfile='${this.options.pfile}'`,
      time: new Date(at).toISOString(),
      host: this.options.host,
      pfile: this.options.pfile,
      pname: null,
      pentId: null,
      pid: null,
      fields: {},
      test: true,
    };
  }

  // unique within this pcheck and across restarts (time first, so spool files sort in order)
  private uid(at: number): string {
    this.counter += 1;
    return `${String(at).padStart(15, '0')}-${process.pid}-${String(this.counter).padStart(6, '0')}`;
  }
}

/** A destination as written, with the queue settings: what must not change for its queue to be kept. */
function destinationKey(destination: Destination, config: AlertConfig): string {
  return JSON.stringify({ ...destination, line: 0, queue: [config.coalesceSeconds, config.retrySeconds, config.spoolLimit] });
}

