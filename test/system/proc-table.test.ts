// show proc's tree: pure building from a listing, the /proc and passwd reads, and the ps-list call bounded in time.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import type { PentView } from '../../src/control/views.js';
import { buildProcViews, descendants, procTable, ProcListError, readRss, userNames, type Listed } from '../../src/system/proc-table.js';

const psListImpl = vi.hoisted(() => ({ current: null as null | (() => Promise<unknown>) }));
vi.mock('ps-list', async (importOriginal) => {
  const actual = (await importOriginal<typeof import('ps-list')>()).default;
  return { default: (options?: { all?: boolean }) => (psListImpl.current === null ? actual(options) : psListImpl.current()) };
});

afterEach(() => {
  psListImpl.current = null;
});

const dir = mkdtempSync(join(tmpdir(), 'proc-table-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function proc(pid: number, ppid: number, command = `cmd${pid}`, uid: number | null = 0): Listed {
  return { pid, ppid, uid, cpu: pid / 10, startTime: new Date(Date.UTC(2026, 0, 2, 3, 4, pid % 60)), command };
}

function pent(pentId: number, pid: number | null, procSts: PentView['proc_sts'] = 'AVAIL'): PentView {
  return {
    pname: `/opt/p${pentId}`,
    pid,
    retry_count: 0,
    restart_count: 0,
    proc_sts: procSts,
    stall_chk: [],
    retry_over_act: 'continue',
    rerun_time: null,
    pent_id: pentId,
    monitor_sts: 'on',
  };
}

// 1 init; 100 httpd master with workers 102, 101 and a worker's child 103; 200 unrelated with child 201
const LISTING: Listed[] = [proc(1, 0), proc(100, 1), proc(102, 100), proc(101, 100), proc(103, 101), proc(200, 1), proc(201, 200)];

describe('descendants', () => {
  it('gives the root, then each child (by pid) followed by its own descendants, with depths', () => {
    expect(descendants(100, LISTING).map(({ proc: p, depth }) => [p.pid, depth])).toEqual([
      [100, 0],
      [101, 1],
      [103, 2],
      [102, 1],
    ]);
  });

  it('leaves out every process outside the tree', () => {
    expect(descendants(200, LISTING).map(({ proc: p }) => p.pid)).toEqual([200, 201]);
  });

  it('is empty when the root is not in the listing (it ended between the check and ps)', () => {
    expect(descendants(999, LISTING)).toEqual([]);
  });

  it('ends on a listing whose parents loop (pid reuse seen mid-listing) and on pid 0 parented to itself', () => {
    const looped = [proc(0, 0), proc(10, 11), proc(11, 10)];
    expect(descendants(10, looped).map(({ proc: p }) => p.pid)).toEqual([10, 11]);
    expect(descendants(0, looped).map(({ proc: p }) => p.pid)).toEqual([0]);
  });
});

describe('buildProcViews', () => {
  const facts = { userOf: (uid: number | null) => (uid === 0 ? 'root' : `u${uid}`), rssOf: (pid: number) => (pid === 102 ? null : pid * 4096) };

  it('one view per entry, each row with the facts of the listing, the user name and the RSS', () => {
    const [view] = buildProcViews([pent(1, 100)], [...LISTING.slice(0, 3), proc(101, 100, 'httpd -k start', 33)], facts);
    expect(view).toEqual({
      pent_id: 1,
      pname: '/opt/p1',
      pid: 100,
      proc_sts: 'AVAIL',
      processes: [
        { pid: 100, ppid: 1, depth: 0, user: 'root', uid: 0, cpu_percent: 10, rss_bytes: 409600, start_time: '2026-01-02T03:04:40.000Z', command: 'cmd100' },
        { pid: 101, ppid: 100, depth: 1, user: 'u33', uid: 33, cpu_percent: 10.1, rss_bytes: 413696, start_time: '2026-01-02T03:04:41.000Z', command: 'httpd -k start' },
        { pid: 102, ppid: 100, depth: 1, user: 'root', uid: 0, cpu_percent: 10.2, rss_bytes: null, start_time: '2026-01-02T03:04:42.000Z', command: 'cmd102' },
      ],
    });
  });

  it('an entry with no followed process, or one no longer listed, has an empty tree', () => {
    const views = buildProcViews([pent(1, null, 'DOWN'), pent(2, 999)], LISTING, facts);
    expect(views.map((view) => [view.pid, view.proc_sts, view.processes])).toEqual([
      [null, 'DOWN', []],
      [999, 'AVAIL', []],
    ]);
  });
});

describe('the I/O', () => {
  it('readRss takes VmRSS (kB) from status; null without the line (a kernel thread) or the process', () => {
    mkdirSync(join(dir, '7'));
    writeFileSync(join(dir, '7', 'status'), 'Name:\tx\nVmPeak:\t  9999 kB\nVmRSS:\t    1234 kB\nThreads:\t1\n');
    mkdirSync(join(dir, '8'));
    writeFileSync(join(dir, '8', 'status'), 'Name:\tkthreadd\nThreads:\t1\n');
    expect(readRss(7, dir)).toBe(1234 * 1024);
    expect(readRss(8, dir)).toBeNull();
    expect(readRss(9, dir)).toBeNull();
  });

  it('readRss of this very process is its real resident size', () => {
    const rss = readRss(process.pid);
    expect(rss).not.toBeNull();
    expect(rss).toBeGreaterThan(1024 * 1024);
  });

  it('userNames maps uids to the first name of the passwd file, unknown ones to the number', () => {
    const passwd = join(dir, 'passwd');
    writeFileSync(passwd, 'root:x:0:0::/root:/bin/sh\ntoor:x:0:0::/root:/bin/sh\nwww-data:x:33:33::/var/www:/usr/sbin/nologin\nbroken\n');
    const userOf = userNames(passwd);
    expect([userOf(0), userOf(33), userOf(4242), userOf(null)]).toEqual(['root', 'www-data', '4242', '?']);
    expect(userNames(join(dir, 'none'))(0)).toBe('0');
  });

  it('procTable lists this test process and its real child from one ps-list call', async () => {
    const { spawn } = await import('node:child_process');
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      const [view] = await procTable([pent(1, process.pid)]);
      const rows = view?.processes ?? [];
      expect(rows[0]).toMatchObject({ pid: process.pid, depth: 0, user: userNames()(process.getuid?.() ?? 0) });
      expect(rows[0]?.rss_bytes).toBeGreaterThan(0);
      // ps's lstart is to the second: the start lies within this process's uptime, give or take it
      const started = Date.now() - process.uptime() * 1000;
      expect(Math.abs(Date.parse(rows[0]?.start_time ?? '') - started)).toBeLessThan(2000);
      expect(rows.find((row) => row.pid === child.pid)).toMatchObject({ ppid: process.pid, depth: 1, command: 'sleep 30' });
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('procTable gives up after its timeout when ps hangs, and says so', async () => {
    psListImpl.current = () => new Promise(() => undefined);
    const error = await procTable([pent(1, 1)], 50).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ProcListError);
    expect((error as Error).message).toBe('ps did not answer within 0.05 s; try again');
  });

  it('procTable names the failure when ps cannot run', async () => {
    psListImpl.current = () => Promise.reject(new Error('spawn ps ENOENT'));
    await expect(procTable([pent(1, 1)])).rejects.toThrow('cannot list processes with ps: spawn ps ENOENT');
  });
});
