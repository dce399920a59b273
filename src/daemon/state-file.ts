// The state file: what a pcheck's entries carry over to the next pcheck of the same pfile (SPEC §8),
// so that kill -9 or an upgrade neither resets a crash-looping server's retry budget nor resumes
// what an operator paused. Written atomically; a file that is corrupt or not this pfile's is ignored.
import { readFileSync } from 'node:fs';
import { describeRefusal, readRegularFile } from '../system/files.js';
import type { CarriedEntry } from './supervisor.js';

const VERSION = 1;

/**
 * The clocks a retry time is carried across processes with: the supervisor's monotonic clock starts
 * at each process's start, the boot clock (CLOCK_MONOTONIC, counted from boot) is the machine's.
 */
export interface StateClocks {
  /** The supervisor's monotonic ms. */
  readonly now: () => number;
  /** ms on the system-wide monotonic clock. */
  readonly bootNow: () => number;
  /** This boot's id: boot-clock values of another boot mean nothing. */
  readonly bootId: string;
}

/** The machine's clocks. */
export function systemClocks(now: () => number): StateClocks {
  let bootId = '';
  try {
    bootId = readFileSync('/proc/sys/kernel/random/boot_id', 'latin1').trim();
  } catch {
    // no boot id: retry times are carried only within this process's lifetime, which is none
  }
  return { now, bootNow: () => Number(process.hrtime.bigint() / 1_000_000n), bootId };
}

interface StoredEntry {
  readonly key: string;
  readonly pentId: number;
  readonly pname: string;
  /** Restart times on the boot clock. */
  readonly retries: number[];
  readonly restartCount: number;
  readonly rerunTime: number | null;
  readonly monitoring: boolean;
  readonly retriedOver: boolean;
}

/** The state file's text for `entries` (no time stamp: an unchanged state gives the same text). */
export function encodeState(pfile: string, entries: readonly CarriedEntry[], clocks: StateClocks): string {
  const offset = clocks.bootNow() - clocks.now();
  const stored: StoredEntry[] = entries.map(({ key, pentId, pname, carried }) => ({
    key,
    pentId,
    pname,
    retries: carried.retries.map((at) => Math.round(at + offset)),
    restartCount: carried.restartCount,
    rerunTime: carried.rerunTime,
    monitoring: carried.monitoring,
    retriedOver: carried.retriedOver,
  }));
  return `${JSON.stringify({ version: VERSION, pfile, bootId: clocks.bootId, entries: stored })}\n`;
}

export type DecodedState = { readonly entries: CarriedEntry[] } | { readonly ignored: string };

/** The carried entries of a state file's text, or why it is ignored. Retry times of another boot are dropped. */
export function decodeState(text: string, pfile: string, clocks: StateClocks): DecodedState {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ignored: 'not valid JSON (a partial or damaged file)' };
  }
  const record = value as Record<string, unknown> | null;
  if (typeof record !== 'object' || record === null || record.version !== VERSION) return { ignored: `not a version ${VERSION} state file` };
  if (record.pfile !== pfile) return { ignored: `it belongs to another pfile (${String(record.pfile)})` };
  if (!Array.isArray(record.entries) || !record.entries.every(isStoredEntry)) return { ignored: 'an entry in it is malformed' };
  const sameBoot = clocks.bootId !== '' && record.bootId === clocks.bootId;
  const offset = clocks.bootNow() - clocks.now();
  const now = clocks.now();
  return {
    entries: (record.entries as StoredEntry[]).map((stored) => ({
      key: stored.key,
      pentId: stored.pentId,
      pname: stored.pname,
      carried: {
        // a time on the boot clock, back on this process's clock; never in the future
        retries: sameBoot ? stored.retries.map((at) => Math.min(at - offset, now)) : [],
        restartCount: stored.restartCount,
        rerunTime: stored.rerunTime,
        monitoring: stored.monitoring,
        retriedOver: stored.retriedOver,
      },
    })),
  };
}

function isStoredEntry(value: unknown): value is StoredEntry {
  const entry = value as Record<string, unknown> | null;
  return (
    typeof entry === 'object' &&
    entry !== null &&
    typeof entry.key === 'string' &&
    Number.isInteger(entry.pentId) &&
    typeof entry.pname === 'string' &&
    Array.isArray(entry.retries) &&
    entry.retries.every((at) => Number.isFinite(at)) &&
    Number.isInteger(entry.restartCount) &&
    (entry.rerunTime === null || Number.isFinite(entry.rerunTime)) &&
    typeof entry.monitoring === 'boolean' &&
    typeof entry.retriedOver === 'boolean'
  );
}

/** A state file of a thousand entries is about 200 KB: anything far larger is not one. */
const MAX_STATE_BYTES = 16 * 1024 * 1024;

/** The state file's text, or null when there is none; throws (with the reason) when it cannot be read or is not a regular file. */
export function readStateFile(path: string): string | null {
  const read = readRegularFile(path, MAX_STATE_BYTES);
  if ('text' in read) return read.text;
  if (read.refused.reason === 'open' && read.refused.code === 'ENOENT') return null;
  throw new Error(describeRefusal(read.refused, MAX_STATE_BYTES));
}
