import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DeliveryQueue, destinationSpoolDir, spoolName, type DeliveryQueueDeps, type DeliveryQueueOptions } from '../../src/alerts/queue.js';
import type { AlertEvent } from '../../src/alerts/types.js';
import { createMemoryLog } from '../../src/log/message-log.js';

const START = Date.UTC(2026, 10, 22, 3, 0, 0);

/**
 * An epoch-ms wall clock and one-shot timers the test moves by hand; due timers fire in order, promises
 * settling between them. Timers run on elapsed time, as the daemon's do: stepping the wall clock moves no timer.
 */
function fakeClock(start: number) {
  let now = start;
  let wallStep = 0;
  const timers: { at: number; callback: () => void; cancelled: boolean }[] = [];
  const settle = () => new Promise((resolve) => setImmediate(resolve));
  return {
    now: () => now + wallStep,
    /** Sets the wall clock forward or back (an operator, NTP). */
    step: (ms: number) => (wallStep += ms),
    after: (ms: number, callback: () => void) => {
      const timer = { at: now + ms, callback, cancelled: false };
      timers.push(timer);
      return () => (timer.cancelled = true);
    },
    pending: () => timers.filter((timer) => !timer.cancelled).length,
    async runFor(ms: number): Promise<void> {
      const end = now + ms;
      await settle();
      for (;;) {
        const due = timers.filter((timer) => !timer.cancelled && timer.at <= end).sort((a, b) => a.at - b.at)[0];
        if (due === undefined) break;
        due.cancelled = true;
        now = Math.max(now, due.at);
        due.callback();
        await settle();
      }
      now = end;
    },
  };
}

type Behaviour = 'ok' | 'hang' | { fail: string } | { throws: string };

/** A Sender that records each message (its time and events) and answers as told. */
function fakeSender(clock: { now: () => number }, behaviour: Behaviour = 'ok') {
  const calls: { at: number; events: AlertEvent[] }[] = [];
  const hung: (() => void)[] = [];
  const sender = {
    behaviour,
    calls,
    /** Resolves every hung send (as a destination that answers very late). */
    releaseHung: () => hung.splice(0).forEach((resolve) => resolve()),
    send: (events: readonly AlertEvent[]): Promise<void> => {
      calls.push({ at: clock.now(), events: [...events] });
      const now = sender.behaviour;
      if (now === 'ok') return Promise.resolve();
      if (now === 'hang') return new Promise((resolve) => hung.push(resolve));
      if ('throws' in now) throw new Error(now.throws);
      return Promise.reject(new Error(now.fail));
    },
    uids: () => calls.flatMap((call) => call.events.map((event) => event.uid)),
  };
  return sender;
}

let counter = 0;
function alertEvent(text = 'Process [\'genwAP\',pid=4242] Down'): AlertEvent {
  counter++;
  return {
    uid: `${START}-4242-${counter}`,
    id: 'PC102',
    key: 'down',
    severity: 'warning',
    text,
    time: new Date(START).toISOString(),
    host: 'web01',
    pfile: '/etc/pcheck/web.pfile',
    pname: 'genwAP',
    pentId: 1,
    pid: 4242,
    fields: { name: 'genwAP', pid: 4242, reason: 'gone', n: counter },
  };
}

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function spoolRoot(): string {
  const dir = mkdtempSync(join(tmpdir(), 'aqueue-'));
  dirs.push(dir);
  return join(dir, 'spool');
}

/** A queue on a fake clock (from `startAt`) and a memory log; `options` override the defaults below. */
function setup(options: Partial<DeliveryQueueOptions> = {}, behaviour: Behaviour = 'ok', root = spoolRoot(), startAt = START) {
  const clock = fakeClock(startAt);
  const sender = fakeSender(clock, behaviour);
  const log = createMemoryLog();
  const deps: DeliveryQueueDeps = { now: clock.now, after: clock.after, log, random: () => 0 };
  const make = () =>
    new DeliveryQueue(
      {
        destination: { name: 'app-team', kind: 'mail', timeoutSeconds: 30 },
        sender: sender.send,
        spoolDir: root,
        coalesceSeconds: 10,
        retrySeconds: 3600,
        spoolLimit: 1000,
        ...options,
      },
      deps,
    );
  const queue = make();
  const dir = destinationSpoolDir(root, options.destination?.name ?? 'app-team');
  const files = () => readdirSync(dir).filter((name) => name.endsWith('.json'));
  const keys = () => log.entries().map((entry) => entry.key);
  return { clock, sender, log, queue, root, dir, files, keys, make };
}

describe('delivery queue', () => {
  it('coalesces 100 events of a window into one message, in order, and removes their files once sent', async () => {
    const t = setup();
    const events = Array.from({ length: 100 }, () => alertEvent());
    for (const event of events) {
      t.queue.enqueue(event);
      await t.clock.runFor(90);
    }
    // 9 s in: the window the first event opened (10 s) has not ended
    expect(t.sender.calls).toHaveLength(0);
    expect(t.files()).toHaveLength(100);
    expect(t.queue.status()).toMatchObject({ queued: 100, oldestQueuedAt: START, nextAttemptAt: START + 10_000, outageSince: null });
    expect(statSync(t.dir).mode & 0o777).toBe(0o700);
    expect(statSync(join(t.dir, t.files()[0] as string)).mode & 0o777).toBe(0o600);

    await t.clock.runFor(1000);
    expect(t.sender.calls).toHaveLength(1);
    expect(t.sender.calls[0]?.at).toBe(START + 10_000);
    expect(t.sender.uids()).toEqual(events.map((event) => event.uid));
    expect(t.sender.calls[0]?.events[0]).toEqual(events[0]);
    expect(t.files()).toEqual([]);
    expect(t.queue.status()).toMatchObject({ queued: 0, oldestQueuedAt: null, lastSuccessAt: START + 10_000, delivered: 100, nextAttemptAt: null });
    expect(t.log.entries()).toEqual([]);

    // the next event opens a new window of its own
    await t.clock.runFor(60_000);
    t.queue.enqueue(alertEvent());
    await t.clock.runFor(9_999);
    expect(t.sender.calls).toHaveLength(1);
    await t.clock.runFor(1);
    expect(t.sender.calls).toHaveLength(2);
  });

  it('a wall clock stepped back holds no event longer than its window', async () => {
    const t = setup();
    const first = alertEvent();
    t.queue.enqueue(first);
    await t.clock.runFor(5_000);
    t.clock.step(-3_600_000);
    const second = alertEvent();
    t.queue.enqueue(second);
    await t.clock.runFor(5_000);
    expect(t.sender.uids()).toEqual([first.uid, second.uid]);
    // the next window is measured from the clock as it now reads
    t.queue.enqueue(alertEvent());
    await t.clock.runFor(10_000);
    expect(t.sender.calls).toHaveLength(2);

    // events a pcheck spooled before the clock was set back an hour wait no longer than the window
    const root = spoolRoot();
    const before = setup({}, 'hang', root, START + 3_600_000);
    before.queue.enqueue(alertEvent());
    before.queue.stop();
    const after = setup({}, 'ok', root, START);
    await after.clock.runFor(10_000);
    expect(after.sender.calls).toHaveLength(1);
  });

  it('caps a message at batchLimit events; the rest follow at once', async () => {
    const t = setup();
    for (let i = 0; i < 250; i++) t.queue.enqueue(alertEvent());
    await t.clock.runFor(10_000);
    expect(t.sender.calls.map((call) => call.events.length)).toEqual([100, 100, 50]);
    expect(t.sender.calls.map((call) => call.at)).toEqual([START + 10_000, START + 10_000, START + 10_000]);
    expect(new Set(t.sender.uids()).size).toBe(250);

    const small = setup({ batchLimit: 7 });
    for (let i = 0; i < 20; i++) small.queue.enqueue(alertEvent());
    await small.clock.runFor(10_000);
    expect(small.sender.calls.map((call) => call.events.length)).toEqual([7, 7, 6]);
  });

  it('retries with backoff doubling from 5 s to 5 min, then drops the events after retrySeconds with one counted warning', async () => {
    const t = setup({ retrySeconds: 1200 }, { fail: 'connect ECONNREFUSED 127.0.0.1:25' });
    for (let i = 0; i < 3; i++) t.queue.enqueue(alertEvent());
    await t.clock.runFor(1_300_000);
    const offsets = t.sender.calls.map((call) => (call.at - START) / 1000);
    // window end, then 5 10 20 40 80 160 300 300 ... until 1200 s after queuing
    expect(offsets).toEqual([10, 15, 25, 45, 85, 165, 325, 625, 925]);
    expect(t.files()).toEqual([]);
    expect(t.keys()).toEqual(['deliveryDown', 'deliveryExpired']);
    const [down, expired] = t.log.entries();
    expect(down?.text).toBe(
      "Alert destination 'app-team' (mail) failed: connect ECONNREFUSED 127.0.0.1:25; 3 events queued, retried for up to 1200s",
    );
    expect(expired?.fields).toMatchObject({ destination: 'app-team', kind: 'mail', count: 3, retrySeconds: 1200 });
    expect(expired?.text).toContain('3 events dropped, undelivered 1200s after queued: connect ECONNREFUSED 127.0.0.1:25');
    expect(t.queue.status()).toMatchObject({ queued: 0, expired: 3, outageSince: START + 10_000, nextAttemptAt: null });
    expect(t.queue.status().lastError).toEqual({ text: 'connect ECONNREFUSED 127.0.0.1:25', at: START + 925_000 });

    // later events of the same outage are retried and dropped too, counted without another line
    t.queue.enqueue(alertEvent());
    await t.clock.runFor(1_300_000);
    expect(t.keys()).toEqual(['deliveryDown', 'deliveryExpired']);
    expect(t.queue.status().expired).toBe(4);
    // the recovery notice says how many this outage cost
    t.sender.behaviour = 'ok';
    t.queue.enqueue(alertEvent());
    await t.clock.runFor(400_000);
    expect(t.keys()).toEqual(['deliveryDown', 'deliveryExpired', 'deliveryUp']);
    expect(t.log.entries()[2]?.fields).toMatchObject({ delayed: 1, expired: 4 });
  });

  it('shortens each retry delay by up to the jitter', async () => {
    const t = setup({}, { fail: 'timeout' });
    const queue = new DeliveryQueue(
      {
        destination: { name: 'jittered', kind: 'webhook', timeoutSeconds: 30 },
        sender: t.sender.send,
        spoolDir: t.root,
        coalesceSeconds: 0,
        retrySeconds: 3600,
        spoolLimit: 10,
      },
      { now: t.clock.now, after: t.clock.after, log: t.log, random: () => 0.5 },
    );
    queue.enqueue(alertEvent());
    await t.clock.runFor(600_000);
    const gaps = t.sender.calls.slice(1).map((call, i) => (call.at - (t.sender.calls[i]?.at ?? 0)) / 1000);
    // 10% less than 5 10 20 40 80 160 300
    expect(gaps.slice(0, 7)).toEqual([4.5, 9, 18, 36, 72, 144, 270]);
    queue.stop();
  });

  it('logs an outage once with the exact error and its end once with its length, whatever the events and retries', async () => {
    const t = setup({ coalesceSeconds: 2 }, { fail: '535 5.7.8 Authentication credentials invalid' });
    for (let i = 0; i < 50; i++) {
      t.queue.enqueue(alertEvent());
      await t.clock.runFor(3_000);
    }
    expect(t.sender.calls.length).toBeGreaterThanOrEqual(5);
    expect(t.keys()).toEqual(['deliveryDown']);
    expect(t.log.entries()[0]?.fields).toMatchObject({
      destination: 'app-team',
      kind: 'mail',
      error: '535 5.7.8 Authentication credentials invalid',
      queued: 1,
    });
    expect(t.queue.status()).toMatchObject({ outageSince: START + 2_000, queued: 50 });

    t.sender.behaviour = 'ok';
    await t.clock.runFor(600_000);
    expect(t.keys()).toEqual(['deliveryDown', 'deliveryUp']);
    const up = t.log.entries()[1];
    expect(up?.fields).toMatchObject({ destination: 'app-team', kind: 'mail', delayed: 50, expired: 0 });
    expect(up?.text).toMatch(/^Alert destination 'app-team' \(mail\) delivers again after \d+s; 50 events delayed, 0 dropped$/);
    expect(Number(up?.fields.seconds)).toBeGreaterThanOrEqual(148);
    expect(new Set(t.sender.uids()).size).toBe(50);
    expect(t.queue.status()).toMatchObject({ outageSince: null, queued: 0, delivered: 50 });

    // a new failure is a new outage
    t.sender.behaviour = { fail: 'connect ETIMEDOUT' };
    t.queue.enqueue(alertEvent());
    await t.clock.runFor(60_000);
    expect(t.keys()).toEqual(['deliveryDown', 'deliveryUp', 'deliveryDown']);
    t.queue.stop();
  });

  it('keeps at most spoolLimit files: the oldest are dropped, with one warning and one count', async () => {
    const t = setup({ spoolLimit: 10 });
    const events = Array.from({ length: 25 }, () => alertEvent());
    for (const event of events) t.queue.enqueue(event);
    expect(t.files()).toHaveLength(10);
    expect(t.queue.status()).toMatchObject({ queued: 10, overflowed: 15, oldestQueuedAt: START });
    expect(t.keys()).toEqual(['spoolFull']);
    expect(t.log.texts()[0]).toBe("Alert spool of 'app-team' full (10 events): the oldest are dropped, counted until the queue empties");

    await t.clock.runFor(10_000);
    expect(t.sender.uids()).toEqual(events.slice(15).map((event) => event.uid));
    expect(t.keys()).toEqual(['spoolFull', 'spoolDropped']);
    expect(t.log.texts()[1]).toBe("Alert spool of 'app-team' was full (10 events): 15 events dropped in all");
  });

  it('a new queue on the same directory delivers what a killed one left, each event once', async () => {
    const root = spoolRoot();
    const first = setup({}, 'ok', root);
    const delivered = Array.from({ length: 10 }, () => alertEvent());
    for (const event of delivered) first.queue.enqueue(event);
    await first.clock.runFor(10_000);
    expect(first.sender.uids()).toHaveLength(10);

    // the destination hangs; then the process is killed (-9): the queue is abandoned mid-send, nothing stopped
    first.sender.behaviour = 'hang';
    const left = Array.from({ length: 30 }, () => alertEvent());
    for (const event of left) first.queue.enqueue(event);
    await first.clock.runFor(10_000);
    expect(first.sender.calls).toHaveLength(2);
    expect(first.queue.status()).toMatchObject({ sending: true, queued: 30 });
    // a temporary whose rename a crash cut off is not an event
    writeFileSync(join(first.dir, `.${left[0]?.uid}.json.tmp`), '{"format":"pcheck-al');

    // started a minute later: the events' window has long ended, they go at once
    const second = setup({}, 'ok', root, START + 80_000);
    expect(second.keys()).toEqual(['spoolPickedUp']);
    expect(second.log.texts()[0]).toBe(`Alert queue of 'app-team': 30 spooled events picked up from ${second.dir}`);
    expect(second.queue.status()).toMatchObject({ queued: 30, oldestQueuedAt: START + 10_000 });
    await second.clock.runFor(0);
    expect(second.sender.calls).toHaveLength(1);
    expect(second.sender.uids()).toEqual(left.map((event) => event.uid));
    expect(second.sender.calls[0]?.events).toEqual(left);
    expect(readdirSync(second.dir)).toEqual([]);

    // the killed one's send never comes back; a third start finds nothing to send
    const third = setup({}, 'ok', root, START + 90_000);
    await third.clock.runFor(60_000);
    expect(third.sender.calls).toEqual([]);
  });

  it('keeps the spool across stop(): a send in progress is forgotten, the next queue sends it', async () => {
    const root = spoolRoot();
    const first = setup({}, 'hang', root);
    for (let i = 0; i < 3; i++) first.queue.enqueue(alertEvent());
    await first.clock.runFor(10_000);
    const flushed = first.queue.flushNow();
    first.queue.stop();
    await flushed;
    expect(first.clock.pending()).toBe(0);
    expect(first.queue.status()).toMatchObject({ sending: false, queued: 3, nextAttemptAt: null });
    first.queue.enqueue(alertEvent());
    expect(first.files()).toHaveLength(4);
    await first.clock.runFor(600_000);
    expect(first.sender.calls).toHaveLength(1);

    const second = setup({}, 'ok', root, START + 700_000);
    await second.clock.runFor(0);
    expect(second.sender.uids()).toHaveLength(4);
    // the abandoned send answering late removes nothing twice and counts nothing wrong
    first.sender.releaseHung();
    await first.clock.runFor(0);
    expect(readdirSync(second.dir)).toEqual([]);
  });

  it('sets unreadable spool files aside with one warning and delivers the rest', async () => {
    const root = spoolRoot();
    const first = setup({}, 'hang', root);
    const good = [alertEvent(), alertEvent()];
    for (const event of good) first.queue.enqueue(event);
    first.queue.stop();
    const valid = readFileSync(join(first.dir, `${good[0]?.uid}.json`), 'utf8');
    writeFileSync(join(first.dir, 'truncated.json'), valid.slice(0, 40));
    writeFileSync(join(first.dir, 'other.json'), '{"hello": "world"}');
    writeFileSync(join(first.dir, 'renamed.json'), valid);
    writeFileSync(join(first.dir, 'no-severity.json'), valid.replace('"severity":"warning"', '"severity":"loud"').replace(good[0]?.uid ?? '', 'x'));
    mkdirSync(join(first.dir, 'a-directory.json'));

    const second = setup({}, 'ok', root, START + 60_000);
    expect(second.keys()).toEqual(['spoolCorrupt', 'spoolPickedUp']);
    const corrupt = second.log.entries()[0];
    expect(corrupt?.fields).toMatchObject({ destination: 'app-team', count: 5, deleted: 0, to: join(second.dir, 'corrupt') });
    expect(corrupt?.text).toMatch(/^Alert spool of 'app-team': 5 unreadable files set aside in .*\/corrupt; the first: .+: .+$/);
    expect(readdirSync(join(second.dir, 'corrupt')).sort()).toEqual(['a-directory.json', 'no-severity.json', 'other.json', 'renamed.json', 'truncated.json']);
    await second.clock.runFor(0);
    expect(second.sender.uids()).toEqual(good.map((event) => event.uid));
    expect(second.files()).toEqual([]);
  });

  it('gives up on a send that never settles after the destination timeout and a margin, and retries', async () => {
    const t = setup({ destination: { name: 'phone', kind: 'command', timeoutSeconds: 2 }, coalesceSeconds: 1 }, 'hang');
    t.queue.enqueue(alertEvent());
    await t.clock.runFor(1_000);
    expect(t.queue.status().sending).toBe(true);
    await t.clock.runFor(6_999);
    expect(t.keys()).toEqual([]);
    await t.clock.runFor(1);
    expect(t.keys()).toEqual(['deliveryDown']);
    expect(t.log.entries()[0]?.fields.error).toBe("no answer within 7s (the send did not end within the destination's timeout)");
    expect(t.queue.status()).toMatchObject({ sending: false, queued: 1, nextAttemptAt: START + 13_000 });

    t.sender.behaviour = 'ok';
    await t.clock.runFor(5_000);
    expect(t.sender.calls).toHaveLength(2);
    expect(t.keys()).toEqual(['deliveryDown', 'deliveryUp']);
    // the first send answers at last: nothing more happens
    t.sender.releaseHung();
    await t.clock.runFor(60_000);
    expect(t.sender.calls).toHaveLength(2);
    expect(t.queue.status()).toMatchObject({ queued: 0, delivered: 1 });
  });

  it('takes a sender that throws instead of rejecting as a failure', async () => {
    const t = setup({}, { throws: 'bug in a sender' });
    t.queue.enqueue(alertEvent());
    await t.clock.runFor(10_000);
    expect(t.log.entries()[0]?.fields).toMatchObject({ error: 'bug in a sender' });
    expect(t.queue.status().queued).toBe(1);
    t.queue.stop();
  });

  it('delivers from memory when the spool cannot be written, saying so once', async () => {
    const t = setup();
    rmSync(t.dir, { recursive: true });
    // a file where the directory was: neither written nor made again
    writeFileSync(t.dir, '');
    for (let i = 0; i < 5; i++) t.queue.enqueue(alertEvent());
    expect(t.keys()).toEqual(['spoolUnwritable']);
    expect(t.log.entries()[0]?.fields).toMatchObject({ destination: 'app-team', dir: t.dir });
    expect(t.queue.status()).toMatchObject({ queued: 5, spoolWritable: false });
    await t.clock.runFor(10_000);
    expect(t.sender.uids()).toHaveLength(5);

    // the directory removed under a running queue is made again
    const u = setup();
    rmSync(u.dir, { recursive: true });
    u.queue.enqueue(alertEvent());
    expect(u.files()).toHaveLength(1);
    expect(u.keys()).toEqual([]);
  });

  it('flushNow sends at once and resolves when the attempt ended; an event queued twice is sent once', async () => {
    const t = setup();
    const event = alertEvent();
    t.queue.enqueue(event);
    t.queue.enqueue(event);
    await t.queue.flushNow();
    expect(t.sender.calls).toEqual([{ at: START, events: [event] }]);
    expect(t.clock.pending()).toBe(0);
    await t.queue.flushNow();
    expect(t.sender.calls).toHaveLength(1);
  });

  it('names spool directories and files so no name leaves or hides in the spool', () => {
    expect(spoolName('app-team')).toBe('app-team');
    expect(spoolName('../etc')).toBe('%2E.%2Fetc');
    expect(spoolName('.')).toBe('%2E');
    expect(spoolName('電話')).toBe('%E9%9B%BB%E8%A9%B1');
    expect(spoolName('a b/c')).toBe('a%20b%2Fc');
    expect(destinationSpoolDir('/var/spool/pcheck/x', '../..')).toBe('/var/spool/pcheck/x/%2E.%2F..');
  });
});
