// The liveness handle on real processes: alive, reaped, zombie, and a pid that is not the process seen;
// and on a made-up /proc, the stat's say on a statm that reads 0.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readStat, StatHandle } from '../../src/system/proc.js';

const started: ChildProcess[] = [];
const temps: string[] = [];

afterEach(() => {
  for (const child of started.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function sleeper(): ChildProcess {
  const child = spawn('sleep', ['30'], { stdio: 'ignore' });
  started.push(child);
  return child;
}

function startTimeOf(pid: number): number {
  const stat = readStat(pid);
  if (stat === null) throw new Error(`no process ${pid}`);
  return stat.startTime;
}

/** A made-up /proc with one process: its stat (state, start time) and statm. */
function fakeProc(state: string, startTime: number, statm: string): string {
  const root = mkdtempSync(join(tmpdir(), 'pcheck-fakeproc-'));
  temps.push(root);
  mkdirSync(join(root, '4242'));
  const fields = [state, '1', '4242', '4242', '0', '-1', '4194560', '0', '0', '0', '0', '3', '4', '0', '0', '20', '0', '1', '0', String(startTime), '1000', '250'];
  writeFileSync(join(root, '4242', 'stat'), `4242 (made up) ${fields.join(' ')}\n`);
  writeFileSync(join(root, '4242', 'statm'), `${statm}\n`);
  return root;
}

describe('StatHandle', () => {
  it('a live process is alive; once killed and reaped it is gone', async () => {
    const child = sleeper();
    await new Promise((resolve) => child.once('spawn', resolve));
    const pid = child.pid as number;
    const handle = StatHandle.open(pid, startTimeOf(pid));
    expect(handle).not.toBeNull();
    expect(handle?.check()).toBe('alive');
    // twice: the first sample opens the descriptor usage reads through, the second reads through it
    expect(handle?.usage()?.startTime).toBe(startTimeOf(pid));
    expect(handle?.usage()?.startTime).toBe(startTimeOf(pid));
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    expect(handle?.check()).toBe('gone');
    expect(handle?.usage()).toBeNull();
    handle?.close();
  });

  it('a closed handle reads no usage and holds no descriptor', async () => {
    const child = sleeper();
    await new Promise((resolve) => child.once('spawn', resolve));
    const pid = child.pid as number;
    const before = readdirSync('/proc/self/fd').length;
    const handle = StatHandle.open(pid, startTimeOf(pid));
    handle?.usage();
    expect(readdirSync('/proc/self/fd').length).toBe(before + 2);
    handle?.close();
    expect(readdirSync('/proc/self/fd').length).toBe(before);
    expect(handle?.usage()).toBeNull();
    expect(readdirSync('/proc/self/fd').length).toBe(before);
  });

  it('a pid whose process started at another time is not the one seen: no handle', async () => {
    const child = sleeper();
    await new Promise((resolve) => child.once('spawn', resolve));
    const pid = child.pid as number;
    expect(StatHandle.open(pid, startTimeOf(pid) - 1)).toBeNull();
  });

  it('a child its parent never reaps is a zombie', async () => {
    // bash starts a child that ends 0.3 s later, when bash has become sleep, which never waits for it
    const parent = spawn('bash', ['-c', 'sleep 0.3 & echo $!; exec sleep 30'], { stdio: ['ignore', 'pipe', 'ignore'] });
    started.push(parent);
    const pid = Number(await new Promise<string>((resolve) => parent.stdout?.once('data', (chunk: Buffer) => resolve(chunk.toString()))));
    let stat = readStat(pid);
    for (let tries = 0; tries < 200 && stat?.state !== 'Z'; tries += 1) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      stat = readStat(pid);
    }
    expect(stat?.state).toBe('Z');
    const handle = StatHandle.open(pid, stat?.startTime as number);
    expect(handle?.check()).toBe('zombie');
    handle?.close();
  });

  it('a statm of size 0 is decided by the stat: zombie for Z, alive for a kernel thread, gone for another start time', () => {
    const none = '0 0 0 0 0 0 0';
    expect(StatHandle.open(4242, 5000, fakeProc('Z', 5000, none))?.check()).toBe('zombie');
    expect(StatHandle.open(4242, 5000, fakeProc('X', 5000, none))?.check()).toBe('zombie');
    expect(StatHandle.open(4242, 5000, fakeProc('S', 5000, none))?.check()).toBe('alive');
    expect(StatHandle.open(4242, 5000, fakeProc('S', 5000, '2163 452 390 6 0 93 0'))?.check()).toBe('alive');
    const root = fakeProc('S', 5000, none);
    const handle = StatHandle.open(4242, 5000, root);
    // the pid now holds a process started later
    writeFileSync(join(root, '4242', 'stat'), `4242 (other) S 1 4242 4242 0 -1 4194560 0 0 0 0 3 4 0 0 20 0 1 0 6000 1000 250\n`);
    expect(handle?.check()).toBe('gone');
    expect(handle?.usage()).toBeNull();
  });
});
