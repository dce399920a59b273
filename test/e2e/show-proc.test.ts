// padmin -c show proc against the real daemon: a followed shell with workers (one as nobody) and a
// wrapper with its own child, as httpd's workers and Tomcat's JVM under its wrapper.
import { chmodSync, copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProcView } from '../../src/control/protocol.js';
import { eventually, padmin, Pcheck, sandbox, startDetached, watchedFixture, type Sandbox } from './harness.js';

let box: Sandbox;
let pcheck: Pcheck;
let pfile: string;
let parent: string;
let middle: string;
let worker: string;
let absent: string;
let parentPid: number;

/** A copy of /bin/sh under the sandbox: a shell only this test's pfile matches. */
function shellCopy(name: string): string {
  const path = join(box.dir, name);
  copyFileSync('/bin/sh', path);
  chmodSync(path, 0o755);
  return path;
}

beforeAll(async () => {
  if (process.getuid?.() !== 0) throw new Error('this test needs root to start a worker as nobody');
  box = sandbox();
  // nobody must be able to run the worker copy inside the sandbox
  chmodSync(box.dir, 0o711);
  parent = shellCopy('parentd');
  middle = shellCopy('wrapperd');
  worker = box.fixture('workerd');
  absent = box.fixture('absentd');
  const restart = box.script('restart.sh', 'exit 0');
  pfile = box.file('pfile', `${parent} ${restart} - - - start_wait=1\n${absent} ${restart} - - - start_wait=1\n`);
  const tree = `${worker} 1001 & setpriv --reuid=65534 --regid=65534 --clear-groups ${worker} 1002 & ${middle} -c '${worker} 1003 & wait' & wait`;
  parentPid = startDetached(parent, ['-c', tree]);
  pcheck = new Pcheck(pfile, box.env);
  await pcheck.waitFor(/\) Up$/);
});

afterAll(async () => {
  await pcheck?.stop();
  box?.cleanup();
});

const showProc = (...args: string[]) => padmin(pfile, box.env, '-c', 'show', 'proc', ...args);

async function fullTree(): Promise<ProcView> {
  return eventually(async () => {
    const result = await showProc('-p', '1', '--json');
    const [view] = JSON.parse(result.stdout) as ProcView[];
    return view !== undefined && view.processes.length === 5 ? view : undefined;
  }, 15_000, 'the whole tree of parentd');
}

describe('padmin -c show proc', () => {
  it('--json: the followed process and every descendant, with depth, user, CPU, RSS, start and command', async () => {
    const view = await fullTree();
    expect(view).toMatchObject({ pent_id: 1, pname: parent, pid: parentPid, proc_sts: 'AVAIL' });
    const rows = view.processes;
    expect(rows[0]).toMatchObject({ pid: parentPid, depth: 0, user: 'root', uid: 0 });
    expect(rows[0]?.command.startsWith(`${parent} -c `)).toBe(true);
    const byCommand = (command: string) => rows.find((row) => row.command === command);
    expect(byCommand(`${worker} 1001`)).toMatchObject({ ppid: parentPid, depth: 1, user: 'root' });
    expect(byCommand(`${worker} 1002`)).toMatchObject({ ppid: parentPid, depth: 1, user: 'nobody', uid: 65534 });
    const wrapper = byCommand(`${middle} -c ${worker} 1003 & wait`);
    expect(wrapper).toMatchObject({ ppid: parentPid, depth: 1, user: 'root' });
    expect(byCommand(`${worker} 1003`)).toMatchObject({ ppid: wrapper?.pid, depth: 2 });
    // depth-first: the wrapper's child comes right after the wrapper
    expect(rows[rows.indexOf(wrapper!) + 1]?.command).toBe(`${worker} 1003`);
    for (const row of rows) {
      expect(Object.keys(row).sort()).toEqual(['command', 'cpu_percent', 'depth', 'pid', 'ppid', 'rss_bytes', 'start_time', 'uid', 'user']);
      expect(row.cpu_percent).toBeGreaterThanOrEqual(0);
      const started = Date.parse(row.start_time ?? '');
      expect(Date.now() - started).toBeGreaterThanOrEqual(-1000);
      expect(Date.now() - started).toBeLessThan(120_000);
    }
    // RSS as the kernel says it, in bytes (a sleep's resident size does not move)
    const worker1001 = byCommand(`${worker} 1001`)!;
    const vmRss = Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${worker1001.pid}/status`, 'latin1'))?.[1]);
    expect(worker1001.rss_bytes).toBe(vmRss * 1024);
  });

  it('text: one block per entry, a header of columns and the tree indented by depth', async () => {
    const view = await fullTree();
    const result = await showProc();
    expect(result.status).toBe(0);
    const blocks = result.stdout.trimEnd().split('\n\n');
    expect(blocks).toHaveLength(2);
    const lines = (blocks[0] ?? '').split('\n');
    expect(lines[0]).toBe(`pent_id 1: ${parent} (AVAIL)`);
    expect(lines[1]).toMatch(/^\s*PID\s+PPID\s+USER\s+%CPU\s+RSS\s+START\s+COMMAND$/);
    expect(lines).toHaveLength(2 + 5);
    const rowOf = (pid: number | undefined) => lines.find((text) => text.trimStart().startsWith(`${pid} `)) ?? '';
    expect(rowOf(parentPid)).toMatch(new RegExp(`^\\s*${parentPid}\\s+\\d+\\s+root\\s+\\d+\\.\\d\\s+\\d+(\\.\\d)?[KMG]\\s+\\d{4}/\\d\\d/\\d\\d \\d\\d:\\d\\d:\\d\\d\\s+${parent} -c `));
    const nobody = view.processes.find((row) => row.user === 'nobody');
    expect(rowOf(nobody?.pid)).toMatch(new RegExp(`\\snobody\\s.*  \\\\_ ${worker} 1002$`));
    const grandchild = view.processes.find((row) => row.depth === 2);
    expect(rowOf(grandchild?.pid)).toMatch(new RegExp(`  {3}\\\\_ ${worker} 1003$`));
    // the column of COMMAND is the same on every line
    const commandColumn = (lines[1] ?? '').indexOf('COMMAND');
    expect(rowOf(parentPid).slice(commandColumn)).toBe(view.processes[0]?.command);
  });

  it('an entry with no process: an empty tree and a line that says so', async () => {
    const json = await showProc('-p', '2', '--json');
    expect(json.status).toBe(0);
    const [view] = JSON.parse(json.stdout) as ProcView[];
    expect(view).toMatchObject({ pent_id: 2, pname: absent, pid: null, processes: [] });
    const text = await showProc('-p', '2');
    expect(text.stdout).toMatch(new RegExp(`^pent_id 2: ${absent} \\([A-Z]+\\)\\n  no process followed: nothing to list\\n$`));
  });

  it('-p limits the answer to one entry; an unknown one is refused with exit 1', async () => {
    const one = JSON.parse((await showProc('-p', '1', '--json')).stdout) as ProcView[];
    expect(one.map((view) => view.pent_id)).toEqual([1]);
    const unknown = await showProc('-p', '9');
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toContain('no entry with pent_id 9');
  });
});

describe('padmin -c show proc when ps hangs', () => {
  let hangBox: Sandbox;
  let hanging: Pcheck;
  let hangPfile: string;

  beforeAll(async () => {
    hangBox = sandbox();
    ({ pfile: hangPfile } = watchedFixture(hangBox));
    // pcheck finds this `ps` first on its PATH: it answers nothing for 30 s
    mkdirSync(join(hangBox.dir, 'bin'));
    hangBox.script('bin/ps', 'exec sleep 30');
    hanging = new Pcheck(hangPfile, { ...hangBox.env, PATH: `${join(hangBox.dir, 'bin')}:${process.env.PATH ?? ''}` });
    await hanging.waitFor(/\) Up$/);
  });

  afterAll(async () => {
    await hanging?.stop();
    hangBox?.cleanup();
  });

  it('answers after its 5 s bound with an error that says so, and pcheck answers other commands meanwhile', async () => {
    const answered: string[] = [];
    const proc = padmin(hangPfile, hangBox.env, '-c', 'show', 'proc').then((result) => {
      answered.push('show proc');
      return result;
    });
    // while pcheck waits for ps, show pent is answered, and before show proc
    await new Promise((resolveWait) => setTimeout(resolveWait, 500));
    const pent = await padmin(hangPfile, hangBox.env, '-c', 'show', 'pent');
    answered.push('show pent');
    expect(pent.status).toBe(0);
    const result = await proc;
    expect(answered).toEqual(['show pent', 'show proc']);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('padmin: show proc: ps did not answer within 5 s; try again\n');
  });
});
