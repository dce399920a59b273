// Tests and benchmarks touch only what they started: a process of the same name that someone else
// started (a decoy here) is refused, named and left running, never signalled.
import { execFileSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
// @ts-expect-error: the benchmarks are plain JavaScript, without types
import { killStarted, startSleepers } from '../../bench/lib.js';
import { eventually, isGone, pidsUnder, sandbox, startDetached, type Sandbox } from '../e2e/harness.js';
import { named, processes, signalTree, Started } from '../e2e/processes.js';

let box: Sandbox;
/** Someone else's corner of the machine: what runs from here was not started by `box`'s test. */
let elsewhere: Sandbox;

afterEach(() => {
  box.cleanup();
  elsewhere.cleanup();
});

/**
 * Starts `argv` the way another user's service runs: in a session of its own, its parent gone (a
 * double fork), so it is neither tagged by `box` nor descended from this test. Returns its pid once
 * its command line reads `running` (`argv` joined, by default).
 */
async function startForeign(argv: string[], running = argv.join(' '), env = elsewhere.env): Promise<number> {
  execFileSync('sh', ['-c', 'setsid "$@" >/dev/null 2>&1 </dev/null &', 'sh', ...argv], { env });
  return eventually(() => processes().find((info) => info.argv.join(' ') === running)?.pid, 5000, `${running} to start`);
}

function stateOf(pid: number): string | undefined {
  return processes().find((info) => info.pid === pid)?.state;
}

describe('the guard before a template that kills by name (pkill -x apache2)', () => {
  it('refuses while an apache2 it did not start runs, names its pid, and leaves it running; its own apache2 is no obstacle', async () => {
    box = sandbox();
    elsewhere = sandbox();
    // copies of sleep named apache2: what pkill -x apache2 kills is any process of that name
    const foreign = await startForeign([elsewhere.fixture('apache2'), '1000']);
    const own = startDetached(box.fixture('apache2'));
    const started = new Started(box.dir);

    await eventually(() => (started.mine(named('apache2')).length === 1 ? true : undefined), 5000, 'its own apache2');
    expect(started.mine(named('apache2')).map((info) => info.pid)).toEqual([own]);
    expect(started.others(named('apache2')).map((info) => info.pid)).toEqual([foreign]);
    expect(() => started.refuseOthers('restart-debian.sh runs `pkill -x apache2`', named('apache2'), 'Stop them or run this test in a container.')).toThrow(
      `refusing to run: restart-debian.sh runs \`pkill -x apache2\`; a process this test did not start would be hit: pid ${foreign} (${elsewhere.dir}/apache2 1000). Stop them or run this test in a container.`,
    );

    // the test's cleanup kills its own and nothing else
    expect(started.kill(named('apache2'))).toEqual([own]);
    await eventually(() => (isGone(own) ? true : undefined), 5000, 'its own apache2 gone');
    expect(isGone(foreign)).toBe(false);

    process.kill(foreign, 'SIGKILL');
    await eventually(() => (isGone(foreign) ? true : undefined), 5000, 'the foreign apache2 gone');
    expect(() => started.refuseOthers('restart-debian.sh', named('apache2'), '')).not.toThrow();
  });

  it("a daemon that wiped its environment (nginx) is the test's once adopted: its children too, even orphaned", async () => {
    box = sandbox();
    elsewhere = sandbox();
    // a master in a session of its own with one worker: sh starts the worker, then becomes the master
    const nginx = elsewhere.fixture('nginx');
    const master = await startForeign(['/bin/sh', '-c', `${nginx} 1001 & exec ${nginx} 1000`], `${nginx} 1000`);
    const worker = await eventually(() => processes().find((info) => info.argv.join(' ') === `${nginx} 1001`)?.pid, 5000, 'the worker');
    const started = new Started(box.dir);
    expect(started.mine(named('nginx'))).toEqual([]);

    started.adopt(master);
    expect(started.mine(named('nginx')).map((info) => info.pid).sort()).toEqual([master, worker].sort());
    // the master dies; its worker, orphaned, keeps the master's session
    process.kill(master, 'SIGKILL');
    await eventually(() => (isGone(master) ? true : undefined), 5000, 'the master gone');
    expect(started.kill(named('nginx'))).toEqual([worker]);
  });
});

describe('signalTree: the SIGSTOP of "every process of the server"', () => {
  it('stops the parent and its descendants, not a process of the same name outside the tree', async () => {
    box = sandbox();
    elsewhere = sandbox();
    const server = box.fixture('httpd');
    const parent = startDetached('/bin/sh', ['-c', `${server} 1001 & ${server} 1002 & wait`]);
    const sameName = await startForeign([elsewhere.fixture('httpd'), '1000']);
    const children = await eventually(() => {
      const pids = processes().filter((info) => info.ppid === parent && info.comm === 'httpd').map((info) => info.pid);
      return pids.length === 2 ? pids : undefined;
    }, 5000, 'two children');

    expect(signalTree(parent, 'SIGSTOP').sort()).toEqual([parent, ...children].sort());
    for (const pid of [parent, ...children]) expect(stateOf(pid)).toBe('T');
    expect(stateOf(sameName)).toBe('S');
  });
});

describe('sandbox cleanup', () => {
  it('kills a process tagged only by an environment value under the sandbox (the demo server: PCHECK_RUN_DIR=<dir>/demo/run)', async () => {
    box = sandbox();
    elsewhere = sandbox();
    const demo = elsewhere.fixture('pcheck-demo');
    const pid = await startForeign([demo, '1000'], `${demo} 1000`, { ...elsewhere.env, PCHECK_RUN_DIR: `${box.dir}/demo/run` });
    expect(pidsUnder(box.dir)).toEqual([pid]);
    box.cleanup();
    await eventually(() => (isGone(pid) ? true : undefined), 5000, 'the demo server gone');
  });
});

describe('the benchmarks', () => {
  it('kill the sleepers they started, not a pcheck-bench-* process another run started', async () => {
    box = sandbox();
    elsewhere = sandbox();
    // another bench run's sleeper: the same kind of name, not this run's mark
    const foreign = await startForeign(['bash', '-c', 'exec -a pcheck-bench-9999 sleep 1000'], 'pcheck-bench-9999 1000');
    const ours = (await startSleepers(2, 9000)) as number[];
    for (const pid of ours) expect(isGone(pid)).toBe(false);

    await killStarted();
    for (const pid of ours) expect(isGone(pid)).toBe(true);
    expect(isGone(foreign)).toBe(false);
  });
});
