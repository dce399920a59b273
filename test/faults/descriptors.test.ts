// Descriptor exhaustion: a local client floods the control socket of a pcheck whose RLIMIT_NOFILE is
// small, until pcheck has no descriptor left. A live server must not be reported Down, no second
// copy may start, a restart script that cannot be spawned is a failed attempt, and pcheck keeps
// running and recovers when descriptors return.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { createConnection, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { runPaths } from '../../src/control/paths.js';
import { eventually, padmin, Pcheck, sandbox, sleep, watchedFixture, type Sandbox } from '../e2e/harness.js';

let box: Sandbox;
let pcheck: Pcheck | null = null;
let stopFlood: (() => void) | null = null;

afterEach(async () => {
  stopFlood?.();
  stopFlood = null;
  await pcheck?.stop();
  pcheck = null;
  box.cleanup();
});

/** Keeps up to `outstanding` idle connections open to `path`, opening new ones as old ones close. */
function flood(path: string, outstanding: number): () => void {
  const open = new Set<Socket>();
  let stopped = false;
  const refill = (): void => {
    while (!stopped && open.size < outstanding) {
      const socket = createConnection(path);
      open.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => open.delete(socket));
    }
  };
  const timer = setInterval(refill, 20);
  refill();
  return () => {
    stopped = true;
    clearInterval(timer);
    for (const socket of open) socket.destroy();
  };
}

/** How many descriptors `pid` has open. */
function openDescriptors(pid: number | undefined): number {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return 0;
  }
}

/** Pids of running processes whose executable is `path`. */
function copiesOf(path: string): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((name) => {
      try {
        return readlinkSync(`/proc/${name}/exe`) === path && !readFileSync(`/proc/${name}/stat`, 'latin1').includes(') Z');
      } catch {
        return false;
      }
    })
    .map(Number);
}

describe('out of descriptors', () => {
  it('no false Down, no second copy, a spawn failure is a failed attempt, and pcheck recovers', async () => {
    box = sandbox();
    const { fixture, pfile } = watchedFixture(box, 'MonitorInterval 1\n');
    const [first] = await eventually(() => (copiesOf(fixture).length === 1 ? copiesOf(fixture) : undefined), 5000, 'the fixture');
    // 48 descriptors: pcheck needs about 24 to run, the flood takes the rest
    pcheck = new Pcheck(pfile, box.env, ['-F'], ['sh', '-c', 'ulimit -n 48 && exec "$@"', 'sh']);
    await pcheck.waitFor(new RegExp(`pid=${first}\\) Up`));

    stopFlood = flood(runPaths(pfile, box.env.PCHECK_RUN_DIR).socket, 200);
    await eventually(() => (openDescriptors(pcheck?.child.pid) >= 46 ? true : undefined), 10_000, 'the flood to take every descriptor');
    // several full checks with no descriptor free: liveness and full checks read through the
    // descriptor opened when the process was found, so the live process is not reported Down
    await sleep(2500);
    expect(pcheck.lines.filter((line) => / Down$|Try to restart|Set pid fail/.test(line))).toEqual([]);
    expect(copiesOf(fixture)).toEqual([first]);

    // a real death with no descriptor free: seen through that descriptor; the restart cannot be
    // spawned and discovery cannot list /proc: process states unknown, nothing started twice
    process.kill(first ?? -1, 'SIGKILL');
    await pcheck.waitFor(new RegExp(`pid=${first}\\] (Down|Zombie)$`), 5000);
    await pcheck.waitFor(/Cannot read \/proc: E[MN]FILE; process states unknown/, 10_000);
    await sleep(1500);
    expect(pcheck.child.exitCode).toBeNull();

    stopFlood();
    stopFlood = null;
    await pcheck.waitFor(/\/proc readable again after E[MN]FILE; monitoring resumed/, 10_000);
    const line = await pcheck.waitFor(/\) Up$/, 20_000, pcheck.lines.findIndex((text) => / (Down|Zombie)$/.test(text)));
    const second = Number(/pid=(\d+)\) Up$/.exec(line)?.[1]);
    expect(second).not.toBe(first);
    expect(copiesOf(fixture)).toEqual([second]);
    const shown = await padmin(pfile, box.env, '-c', 'show', 'pent', '--json');
    expect(shown.status).toBe(0);
    expect(JSON.parse(shown.stdout)[0]).toMatchObject({ pid: second, proc_sts: 'AVAIL' });
    expect(pcheck.lines.join('\n')).not.toMatch(/pcheck stop|Internal error|    at /);
  });
});
