// One destination's delivery queue: events are spooled on disk as they come (one file each, so a
// restart or kill -9 loses none), coalesced over a short window into one message, sent through the
// destination's Sender, retried with backoff for a bounded time, and dropped with a counted warning
// when that time or the spool's size runs out. enqueue() only writes one small file: nothing on the
// caller's path waits for the network. Time and timers are injected; the filesystem is real.
import { chmodSync, lstatSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Emitter } from '../events/stream.js';
import type { Severity } from '../log/catalogue.js';
import { describeRefusal, readRegularFile } from '../system/files.js';
import type { AlertEvent, Destination, Sender } from './types.js';

/** Events sent in one message at most; the rest follow in the next one, at once. */
export const DEFAULT_BATCH_LIMIT = 100;

/** The retry schedule after a failed send: firstMs, doubling up to maxMs, each shortened by up to `jitter` of itself. */
export interface Backoff {
  readonly firstMs: number;
  readonly maxMs: number;
  /** 0..1: a delay d becomes d * (1 - jitter * random()), so queues that failed together do not retry together. */
  readonly jitter: number;
}

export const DEFAULT_BACKOFF: Backoff = Object.freeze({ firstMs: 5_000, maxMs: 300_000, jitter: 0.2 });

/** A send is given up on after the destination's own timeout and this much more, settled or not. */
export const SEND_MARGIN_MS = 5_000;

/** Where unreadable spool files are moved, inside the destination's directory. */
export const CORRUPT_DIR = 'corrupt';

/** A spool file larger than this is not an event pcheck wrote. */
const MAX_SPOOL_FILE_BYTES = 1024 * 1024;

/** What a spool file holds: the event and when it was queued (epoch ms). */
const SPOOL_FORMAT = 'pcheck-alert-spool-1';

export interface DeliveryQueueOptions {
  /** The destination delivered to: its name names the spool directory and the messages, its timeout bounds a send. */
  readonly destination: Pick<Destination, 'name' | 'kind' | 'timeoutSeconds'>;
  readonly sender: Sender;
  /** The spool's root: this queue keeps its files in `<spoolDir>/<spoolName(destination.name)>/`. */
  readonly spoolDir: string;
  /** The first event waits this long for others to go out with it (AlertConfig.coalesceSeconds). */
  readonly coalesceSeconds: number;
  /** After a failed send, events are retried until this long after they were queued, then dropped (AlertConfig.retrySeconds). */
  readonly retrySeconds: number;
  /** Files kept at most; past it the oldest event is dropped (AlertConfig.spoolLimit). */
  readonly spoolLimit: number;
  /** Events per message at most (default DEFAULT_BATCH_LIMIT). */
  readonly batchLimit?: number;
  /** Retry schedule (default DEFAULT_BACKOFF). */
  readonly backoff?: Backoff;
}

/** What the queue takes from its owner: the clock, timers, the log; the daemon passes the real ones. */
export interface DeliveryQueueDeps {
  /** Epoch ms: queued times are kept in spool files and outlive the process. */
  readonly now: () => number;
  /** A one-shot timer; returns its cancel function (src/system/timers.ts's `after`). */
  readonly after: (ms: number, callback: () => void) => () => void;
  /** Where the queue's own messages (PC301-PC308) go. */
  readonly log: Emitter;
  /** 0 <= x < 1, for the jitter (default Math.random). */
  readonly random?: () => number;
}

/** What `padmin -c show alert` shows of one destination. */
export interface DeliveryStatus {
  readonly destination: string;
  readonly kind: Destination['kind'];
  /** This destination's spool directory. */
  readonly dir: string;
  /** Events waiting (including those of a send in progress). */
  readonly queued: number;
  /** Epoch ms the oldest waiting event was queued; null when none waits. */
  readonly oldestQueuedAt: number | null;
  /** Epoch ms of the last message the destination accepted (by this queue). */
  readonly lastSuccessAt: number | null;
  /** The last failure's exact reason and its time; kept after a success. */
  readonly lastError: { readonly text: string; readonly at: number } | null;
  /** Epoch ms of the failure that began the current outage; null when the destination is not failing. */
  readonly outageSince: number | null;
  /** Epoch ms the next send is due; null when none is scheduled (nothing waits, a send is in progress, or stopped). */
  readonly nextAttemptAt: number | null;
  readonly sending: boolean;
  /** Whether the last spool write or removal succeeded; when not, new events are held in memory only. */
  readonly spoolWritable: boolean;
  /** Counts since this queue started: events delivered, dropped after retrySeconds, dropped by the spool limit. */
  readonly delivered: number;
  readonly expired: number;
  readonly overflowed: number;
}

interface Item {
  readonly uid: string;
  readonly event: AlertEvent;
  readonly queuedAt: number;
  /** The spool file; null when it could not be written. */
  file: string | null;
}

interface Outage {
  readonly since: number;
  /** Events dropped after retrySeconds during this outage; the first drop was logged. */
  expired: number;
}

/**
 * A file or directory name for `name`: letters, digits, `_`, `-` and `.` kept, anything else
 * (and a leading dot) percent-encoded, so no name can climb out of the spool or hide in it.
 */
export function spoolName(name: string): string {
  let out = '';
  for (const byte of Buffer.from(name, 'utf8')) {
    const char = String.fromCharCode(byte);
    const plain = /[A-Za-z0-9_-]/.test(char) || (char === '.' && out !== '');
    out += plain ? char : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out === '' ? '%' : out;
}

/** The directory a destination's events are spooled in. */
export function destinationSpoolDir(spoolDir: string, destinationName: string): string {
  return join(spoolDir, spoolName(destinationName));
}

const SEVERITIES: readonly Severity[] = ['err', 'warning', 'notice', 'info'];
const order = new Intl.Collator('en', { numeric: true });

export class DeliveryQueue {
  private readonly name: string;
  private readonly kind: Destination['kind'];
  private readonly dir: string;
  private readonly coalesceMs: number;
  private readonly retryMs: number;
  private readonly batchLimit: number;
  private readonly spoolLimit: number;
  private readonly backoff: Backoff;
  private readonly random: () => number;

  /** Oldest first; a send takes the first batchLimit of them. */
  private pending: Item[] = [];
  private readonly byUid = new Map<string, Item>();

  private cancelTimer: (() => void) | null = null;
  private nextAttemptAt: number | null = null;
  /** The send in progress: its events, and what its completion resolves. */
  private inFlight: {
    readonly batch: readonly Item[];
    readonly done: Promise<void>;
    readonly finish: () => void;
    readonly cancelGuard: () => void;
  } | null = null;
  /** Bumped by every send and by stop(): a send whose token is stale has been given up on. */
  private token = 0;
  private stopped = false;

  private failures = 0;
  /** When the next retry is due (epoch ms), and the backoff delay that set it; 0 when not failing. */
  private retryAt = 0;
  private retryDelayMs = 0;
  private outage: Outage | null = null;
  /** Open from the first spool-limit drop until the queue empties; its count goes into PC305. */
  private overflowSpell: { count: number } | null = null;
  private spoolWritable = true;

  private lastSuccessAt: number | null = null;
  private lastError: { text: string; at: number } | null = null;
  private delivered = 0;
  private expired = 0;
  private overflowed = 0;

  /** Creates the spool directory (0700) and picks up the events a previous queue left in it; they are sent at once. */
  constructor(
    private readonly options: DeliveryQueueOptions,
    private readonly deps: DeliveryQueueDeps,
  ) {
    this.name = options.destination.name;
    this.kind = options.destination.kind;
    this.dir = destinationSpoolDir(options.spoolDir, this.name);
    this.coalesceMs = Math.max(0, options.coalesceSeconds * 1000);
    this.retryMs = Math.max(0, options.retrySeconds * 1000);
    this.batchLimit = Math.max(1, options.batchLimit ?? DEFAULT_BATCH_LIMIT);
    this.spoolLimit = Math.max(1, options.spoolLimit);
    this.backoff = options.backoff ?? DEFAULT_BACKOFF;
    this.random = deps.random ?? Math.random;
    if (this.prepareDir()) this.pickUp();
    this.arm();
  }

  /** Spools `event` and returns; it goes out when its coalescing window ends. An event whose uid is already queued is ignored. */
  enqueue(event: AlertEvent): void {
    if (this.byUid.has(event.uid)) return;
    const item: Item = { uid: event.uid, event, queuedAt: this.deps.now(), file: null };
    item.file = this.write(item);
    this.pending.push(item);
    this.byUid.set(item.uid, item);
    this.enforceLimit();
    if (this.cancelTimer === null) this.arm();
  }

  /** Sends what is queued now, ignoring the coalescing window and the backoff; resolves when that attempt has ended. */
  flushNow(): Promise<void> {
    if (this.inFlight !== null) return this.inFlight.done;
    if (this.stopped || this.pending.length === 0) return Promise.resolve();
    this.disarm();
    return this.send();
  }

  status(): DeliveryStatus {
    return {
      destination: this.name,
      kind: this.kind,
      dir: this.dir,
      queued: this.pending.length,
      oldestQueuedAt: this.pending[0]?.queuedAt ?? null,
      lastSuccessAt: this.lastSuccessAt,
      lastError: this.lastError === null ? null : { ...this.lastError },
      outageSince: this.outage?.since ?? null,
      nextAttemptAt: this.nextAttemptAt,
      sending: this.inFlight !== null,
      spoolWritable: this.spoolWritable,
      delivered: this.delivered,
      expired: this.expired,
      overflowed: this.overflowed,
    };
  }

  /** Cancels the timers and forgets a send in progress; the spool stays for the next queue on this directory. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.disarm();
    this.endFlight();
    this.endOverflowSpell();
  }

  // --- scheduling ---

  /** Sets the one timer: the next send (window end or retry), or the oldest event's expiry if that comes first. */
  private arm(): void {
    this.disarm();
    const oldest = this.pending[0];
    if (this.stopped || this.inFlight !== null || oldest === undefined) return;
    const now = this.deps.now();
    // never longer than the window or the backoff delay: a wall clock stepped back does not hold events for the step
    const longest = Math.max(this.coalesceMs, this.retryDelayMs);
    const sendIn = Math.min(longest, Math.max(0, oldest.queuedAt + this.coalesceMs - now, this.retryAt - now));
    const expireIn = this.outage === null ? Infinity : Math.max(0, oldest.queuedAt + this.retryMs - now);
    this.nextAttemptAt = now + sendIn;
    this.cancelTimer =
      expireIn < sendIn ? this.deps.after(expireIn, () => this.wake(false)) : this.deps.after(sendIn, () => this.wake(true));
  }

  private disarm(): void {
    this.cancelTimer?.();
    this.cancelTimer = null;
    this.nextAttemptAt = null;
  }

  private wake(sendDue: boolean): void {
    this.cancelTimer = null;
    this.nextAttemptAt = null;
    this.expire();
    if (sendDue && this.pending.length > 0) void this.send();
    else this.arm();
  }

  // --- sending ---

  private send(): Promise<void> {
    const batch = this.pending.slice(0, this.batchLimit);
    const token = ++this.token;
    let finish = (): void => undefined;
    const done = new Promise<void>((resolve) => (finish = resolve));
    const settle = (error: unknown): void => {
      if (token !== this.token) {
        // given up on (timed out, or stopped): only a late success is worth acting on, to spare a re-send
        if (error === null) this.delivered += this.removeDelivered(batch);
        return;
      }
      this.endFlight();
      if (error === null) this.succeeded(batch);
      else this.failed(error);
    };
    // the Sender promises to settle within the destination's timeout; a queue must not hang on a broken promise
    const limitMs = this.options.destination.timeoutSeconds * 1000 + SEND_MARGIN_MS;
    const cancelGuard = this.deps.after(limitMs, () =>
      settle(new Error(`no answer within ${limitMs / 1000}s (the send did not end within the destination's timeout)`)),
    );
    this.inFlight = { batch, done, finish, cancelGuard };

    let sending: Promise<void>;
    try {
      sending = Promise.resolve(this.options.sender(batch.map((item) => item.event)));
    } catch (error) {
      sending = Promise.reject(error);
    }
    sending.then(
      () => settle(null),
      (error: unknown) => settle(error ?? new Error('failed without a reason')),
    );
    return done;
  }

  /** Ends the send in progress: its token goes stale, its guard is cancelled, whoever waits on it is released. */
  private endFlight(): void {
    const flight = this.inFlight;
    if (flight === null) return;
    this.inFlight = null;
    this.token++;
    flight.cancelGuard();
    flight.finish();
  }

  private succeeded(batch: readonly Item[]): void {
    const now = this.deps.now();
    this.delivered += this.removeDelivered(batch);
    this.lastSuccessAt = now;
    if (this.outage !== null) {
      // outage -> delivering: said once, with what it cost
      this.deps.log.emit('deliveryUp', {
        destination: this.name,
        kind: this.kind,
        seconds: Math.round((now - this.outage.since) / 1000),
        delayed: batch.length + this.pending.length,
        expired: this.outage.expired,
      });
    }
    this.outage = null;
    this.failures = 0;
    this.retryAt = 0;
    this.retryDelayMs = 0;
    if (this.pending.length === 0) this.endOverflowSpell();
    this.arm();
  }

  private failed(error: unknown): void {
    const now = this.deps.now();
    const text = error instanceof Error ? error.message : String(error);
    this.lastError = { text, at: now };
    if (this.outage === null) {
      // delivering -> outage: said once, with the exact reason
      this.outage = { since: now, expired: 0 };
      this.deps.log.emit('deliveryDown', {
        destination: this.name,
        kind: this.kind,
        error: text,
        queued: this.pending.length,
        retrySeconds: this.retryMs / 1000,
      });
    }
    this.failures++;
    this.retryDelayMs = this.retryDelay(this.failures);
    this.retryAt = now + this.retryDelayMs;
    this.expire();
    this.arm();
  }

  /** The wait before retry number `failures`: firstMs doubling to maxMs, less up to `jitter` of it. */
  private retryDelay(failures: number): number {
    const { firstMs, maxMs, jitter } = this.backoff;
    const full = Math.min(maxMs, firstMs * 2 ** Math.min(failures - 1, 52));
    return Math.round(full * (1 - jitter * this.random()));
  }

  /** In an outage, drops the events queued retrySeconds ago or more: the first drop is logged, the rest counted for PC302. */
  private expire(): void {
    const outage = this.outage;
    const deadline = this.deps.now() - this.retryMs;
    const gone = this.pending.filter((item) => item.queuedAt <= deadline);
    if (outage === null || gone.length === 0) return;
    for (const item of gone) this.forget(item);
    this.expired += gone.length;
    if (outage.expired === 0) {
      this.deps.log.emit('deliveryExpired', {
        destination: this.name,
        kind: this.kind,
        count: gone.length,
        retrySeconds: this.retryMs / 1000,
        error: this.lastError?.text ?? 'not sent',
      });
    }
    outage.expired += gone.length;
    if (this.pending.length === 0) this.endOverflowSpell();
  }

  /** Forgets the events of a delivered batch still queued; returns how many there were. */
  private removeDelivered(batch: readonly Item[]): number {
    let count = 0;
    for (const item of batch) {
      if (this.byUid.get(item.uid) !== item) continue;
      this.forget(item);
      count++;
    }
    return count;
  }

  /** Removes an event from the queue and its file from the spool. */
  private forget(item: Item): void {
    // the oldest goes first (a delivered batch, the spool limit): no copy of the queue for it
    if (this.pending[0] === item) this.pending.shift();
    else this.pending = this.pending.filter((other) => other !== item);
    this.byUid.delete(item.uid);
    if (item.file === null) return;
    try {
      rmSync(item.file, { force: true });
      item.file = null;
      this.spoolWritable = true;
    } catch (error) {
      this.spoolFailed(error);
    }
  }

  // --- the spool ---

  /** Past spoolLimit, drops the oldest: one warning when it starts, the count when the queue has emptied. */
  private enforceLimit(): void {
    const limit = this.spoolLimit;
    while (this.pending.length > limit) {
      const oldest = this.pending[0] as Item;
      this.forget(oldest);
      this.overflowed++;
      if (this.overflowSpell === null) {
        this.overflowSpell = { count: 0 };
        if (!this.stopped) this.deps.log.emit('spoolFull', { destination: this.name, limit, dir: this.dir });
      }
      this.overflowSpell.count++;
    }
  }

  private endOverflowSpell(): void {
    if (this.overflowSpell === null) return;
    const count = this.overflowSpell.count;
    this.overflowSpell = null;
    this.deps.log.emit('spoolDropped', { destination: this.name, limit: this.spoolLimit, count });
  }

  /** Writes the event's file atomically (temporary + rename, 0600); returns its path, or null when it could not. */
  private write(item: Item): string | null {
    const name = `${spoolName(item.uid)}.json`;
    const file = join(this.dir, name);
    const temporary = join(this.dir, `.${name}.tmp`);
    for (let attempt = 0; ; attempt++) {
      try {
        const text = JSON.stringify({ format: SPOOL_FORMAT, queuedAt: item.queuedAt, event: item.event });
        // created exclusively: a link planted under the temporary's name is refused, not followed
        writeFileSync(temporary, text, { mode: 0o600, flag: 'wx' });
        renameSync(temporary, file);
        this.spoolWritable = true;
        return file;
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        // a temporary left by a crash, or planted: ours to remove; the directory removed under us: make it again
        const retry = attempt === 0 && (code === 'EEXIST' || (code === 'ENOENT' && this.prepareDir()));
        // the write failed already: that is what gets said, whatever the removal does
        removeQuietly(temporary);
        if (retry) continue;
        this.spoolFailed(error);
        return null;
      }
    }
  }

  private spoolFailed(error: unknown): void {
    if (!this.spoolWritable) return;
    this.spoolWritable = false;
    const text = (error as NodeJS.ErrnoException).code ?? (error instanceof Error ? error.message : String(error));
    if (!this.stopped) this.deps.log.emit('spoolUnwritable', { destination: this.name, dir: this.dir, error: text });
  }

  /** The destination's directory exists, is a directory and is 0700; false (said once) when it cannot be made so. */
  private prepareDir(): boolean {
    try {
      mkdirSync(this.dir, { recursive: true, mode: 0o700 });
      const stats = lstatSync(this.dir);
      if (!stats.isDirectory()) throw Object.assign(new Error(`${this.dir} is not a directory`), { code: 'ENOTDIR' });
      if ((stats.mode & 0o777) !== 0o700) chmodSync(this.dir, 0o700);
      return true;
    } catch (error) {
      this.spoolFailed(error);
      return false;
    }
  }

  /** Takes over the files a previous queue left: oldest first; unreadable ones are set aside with one warning. */
  private pickUp(): void {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch (error) {
      this.spoolFailed(error);
      return;
    }
    const found: Item[] = [];
    const corrupt: { name: string; why: string }[] = [];
    for (const name of names) {
      const path = join(this.dir, name);
      if (name.startsWith('.')) {
        // a temporary whose rename never happened: its enqueue never returned, nothing was promised
        if (name.endsWith('.tmp')) removeQuietly(path);
        continue;
      }
      if (name === CORRUPT_DIR) continue;
      const read = readRegularFile(path, MAX_SPOOL_FILE_BYTES);
      const parsed = 'text' in read ? parseSpoolFile(read.text) : describeRefusal(read.refused, MAX_SPOOL_FILE_BYTES);
      if (typeof parsed === 'string') corrupt.push({ name, why: parsed });
      else if (`${spoolName(parsed.event.uid)}.json` !== name) corrupt.push({ name, why: `its event's uid is ${JSON.stringify(parsed.event.uid)}` });
      else found.push({ uid: parsed.event.uid, event: parsed.event, queuedAt: parsed.queuedAt, file: path });
    }
    found.sort((a, b) => a.queuedAt - b.queuedAt || order.compare(a.uid, b.uid));
    for (const item of found) {
      this.pending.push(item);
      this.byUid.set(item.uid, item);
    }
    if (corrupt.length > 0) this.setAside(corrupt);
    if (found.length > 0) this.deps.log.emit('spoolPickedUp', { destination: this.name, count: found.length, dir: this.dir });
    this.enforceLimit();
  }

  private setAside(corrupt: readonly { name: string; why: string }[]): void {
    const to = join(this.dir, CORRUPT_DIR);
    let deleted = 0;
    for (const { name } of corrupt) {
      const from = join(this.dir, name);
      try {
        mkdirSync(to, { recursive: true, mode: 0o700 });
        renameSync(from, join(to, name));
      } catch {
        if (removeQuietly(from)) deleted++;
      }
    }
    const first = corrupt[0] as { name: string; why: string };
    this.deps.log.emit('spoolCorrupt', { destination: this.name, count: corrupt.length, deleted, to, file: first.name, why: first.why });
  }
}

/** A spool file's event and queued time, or why it is not one. */
export function parseSpoolFile(text: string): { queuedAt: number; event: AlertEvent } | string {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    return `not JSON (${(error as Error).message})`;
  }
  if (!isRecord(data) || data.format !== SPOOL_FORMAT) return `not a ${SPOOL_FORMAT} file`;
  if (typeof data.queuedAt !== 'number' || !Number.isFinite(data.queuedAt)) return 'no queuedAt';
  const event = data.event;
  if (!isRecord(event)) return 'no event';
  for (const key of ['uid', 'id', 'key', 'text', 'time', 'host', 'pfile'] as const) {
    if (typeof event[key] !== 'string') return `event.${key} is not a string`;
  }
  if (event.uid === '') return 'event.uid is empty';
  if (!SEVERITIES.includes(event.severity as Severity)) return 'event.severity is not a severity';
  if (event.pname !== null && typeof event.pname !== 'string') return 'event.pname is not a string or null';
  for (const key of ['pentId', 'pid'] as const) {
    if (event[key] !== null && typeof event[key] !== 'number') return `event.${key} is not a number or null`;
  }
  if (!isRecord(event.fields)) return 'event.fields is not an object';
  for (const key of ['resolves', 'test'] as const) {
    if (event[key] !== undefined && typeof event[key] !== 'boolean') return `event.${key} is not a boolean`;
  }
  return { queuedAt: data.queuedAt, event: event as unknown as AlertEvent };
}

/** Removes a file or tree; false when it could not. */
function removeQuietly(path: string): boolean {
  try {
    rmSync(path, { recursive: true, force: true });
    return true;
  } catch {
    return false;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
