import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readStatUsage } from '../../src/system/proc.js';
import { pageSizeOf, ProcUsageReader } from '../../src/system/proc-usage.js';

/** The same fields by splitting the text, as proc(5) numbers them. */
function usageFields(text: string) {
  const close = text.lastIndexOf(')');
  if (close < 0) return null;
  const rest = text.slice(close + 2).split(' ');
  return { ticks: Number(rest[11]) + Number(rest[12]), startTime: Number(rest[19]), rssPages: Number(rest[21]) };
}

const roots: string[] = [];
afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

/** A stat line: fields 14/15 utime/stime, 22 starttime, 24 rss (pages). */
function stat(pid: number, comm: string, utime: number, stime: number, startTime: number, rss: number): string {
  const fields = ['S', '1', '1', '1', '0', '-1', '4194304', '0', '0', '0', '0', String(utime), String(stime), '0', '0', '20', '0', '1', '0', String(startTime), '1000', String(rss)];
  return `${pid} (${comm}) ${fields.join(' ')} 0 0 0\n`;
}

function fakeProc(pageKb = 4): string {
  const root = mkdtempSync(join(tmpdir(), 'proc-usage-'));
  roots.push(root);
  mkdirSync(join(root, 'self'));
  writeFileSync(join(root, 'self', 'statm'), '1000 2500 300 1 0 400 0\n');
  writeFileSync(join(root, 'self', 'status'), `Name:\tnode\nVmRSS:\t  ${2500 * pageKb} kB\n`);
  return root;
}

function setStat(root: string, pid: number, text: string): void {
  mkdirSync(join(root, String(pid)), { recursive: true });
  writeFileSync(join(root, String(pid), 'stat'), text);
}

describe('usage read from /proc/<pid>/stat', () => {
  it('parses CPU ticks, start time and RSS past a comm holding ") " and blanks, from the bytes as from the text', () => {
    const root = fakeProc();
    const text = stat(7, 'a) b (c', 150, 50, 12345, 300);
    setStat(root, 7, text);
    expect(usageFields(text)).toEqual({ ticks: 200, startTime: 12345, rssPages: 300 });
    expect(readStatUsage(join(root, '7', 'stat'))).toEqual({ ticks: 200, startTime: 12345, rssPages: 300 });
    setStat(root, 8, 'garbage');
    expect(usageFields('garbage')).toBeNull();
    expect(readStatUsage(join(root, '8', 'stat'))).toBeNull();
  });

  it('reads the same fields from a real process stat, from the bytes as from the text', () => {
    const text = readFileSync(`/proc/${process.pid}/stat`, 'latin1');
    const fromBytes = readStatUsage(`/proc/${process.pid}/stat`);
    const fromText = usageFields(text);
    expect(fromBytes?.startTime).toBe(fromText?.startTime);
    expect(fromBytes?.ticks).toBeGreaterThanOrEqual(fromText?.ticks ?? Infinity);
    expect(fromBytes?.rssPages).toBeGreaterThan(0);
  });

  it('finds the page size from its own statm and status', () => {
    expect(pageSizeOf(fakeProc(4))).toBe(4096);
    expect(pageSizeOf(fakeProc(64))).toBe(65536);
    expect(pageSizeOf('/nonexistent')).toBe(4096);
  });

  it('CPU % between two readings of the same process; a reused pid (other start time) starts afresh; a missing pid is left out', () => {
    const root = fakeProc();
    let now = 0;
    const reader = new ProcUsageReader(() => now, root);
    setStat(root, 10, stat(10, 'web', 100, 0, 500, 256));
    const first = reader.read([10, 11], { maxage: 10_000 });
    expect(first['10']).toEqual({ cpu: 0, memory: 256 * 4096, ctime: 1000 });
    expect('11' in first).toBe(false);
    now = 2000;
    setStat(root, 10, stat(10, 'web', 150, 50, 500, 256));
    // 100 ticks = 1000 ms of CPU over 2000 ms
    expect(reader.read([10], { maxage: 10_000 })['10']?.cpu).toBeCloseTo(50);
    now = 4000;
    setStat(root, 10, stat(10, 'other', 400, 0, 900, 10));
    expect(reader.read([10], { maxage: 10_000 })['10']?.cpu).toBe(0);
  });

  it('forgets a pid not read for longer than maxage', () => {
    const root = fakeProc();
    let now = 0;
    const reader = new ProcUsageReader(() => now, root);
    setStat(root, 10, stat(10, 'web', 100, 0, 500, 1));
    reader.read([10], { maxage: 1000 });
    now = 5000;
    reader.read([], { maxage: 1000 });
    setStat(root, 10, stat(10, 'web', 600, 0, 500, 1));
    now = 6000;
    expect(reader.read([10], { maxage: 1000 })['10']?.cpu).toBe(0);
  });

  it("reads through the pid's liveness handle when there is one (null: not its process, left out), by path otherwise", () => {
    const root = fakeProc();
    const bound = new Map([
      [20, { ticks: 10, startTime: 800, rssPages: 5 }],
      [22, null],
    ]);
    const reader = new ProcUsageReader(() => 0, root, (pid) => bound.get(pid));
    setStat(root, 21, stat(21, 'by path', 1, 1, 900, 6));
    setStat(root, 22, stat(22, 'reused', 1, 1, 950, 7));
    const read = reader.read([20, 21, 22], { maxage: 1000 });
    expect(read['20']).toEqual({ cpu: 0, memory: 5 * 4096, ctime: 100 });
    expect(read['21']).toEqual({ cpu: 0, memory: 6 * 4096, ctime: 20 });
    expect(read['22']).toBeUndefined();
  });
});
