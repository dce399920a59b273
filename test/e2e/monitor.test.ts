// The real pcheck watching real processes: death, zombie, pid reuse, restart scripts, retry over.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually, isAlive, padmin, Pcheck, sandbox, sleep, startDetached, type Sandbox } from './harness.js';

let box: Sandbox;
let pcheck: Pcheck | null = null;

afterEach(async () => {
  await pcheck?.stop();
  pcheck = null;
  box.cleanup();
});

/** A pfile watching one fixture copy of sleep, with a restart script that starts it again. */
function setup(options: { entry?: string; script?: string; globals?: string } = {}) {
  box = sandbox();
  const fixture = box.fixture('testd');
  const script = box.script('restart.sh', options.script ?? `echo "restart reason=$PS_REASON old=$PS_OLD_PID retry=$PS_RETRY_COUNT"\nsetsid ${fixture} 1000 >/dev/null 2>&1 </dev/null &`);
  const pfile = box.file(
    'pfile',
    `MonitorInterval 2\n${options.globals ?? ''}\n${fixture} ${script} ${options.entry ?? '3 600 continue start_wait=5'}\n`,
  );
  return { fixture, script, pfile };
}

const upLine = (fixture: string) => new RegExp(`\\('${fixture}' ,pid=(\\d+)\\) Up`);
const pidOf = (line: string) => Number(/pid=(\d+)/.exec(line)?.[1]);

describe('death detection and restart', () => {
  it('kill -9 -> Down, Try to restart, Up with a new pid; show pent tells the truth', async () => {
    const { fixture, pfile } = setup();
    const first = startDetached(fixture);
    pcheck = new Pcheck(pfile, box.env);
    expect(pidOf(await pcheck.waitFor(upLine(fixture)))).toBe(first);

    process.kill(first, 'SIGKILL');
    await pcheck.waitFor(new RegExp(`Process \\['${fixture}',pid=${first}\\] Down`), 2000);
    await pcheck.waitFor(new RegExp(`Try to restart \\('${fixture}'\\)`));
    await pcheck.waitFor(/restart reason=down old=\d+ retry=1/);
    await pcheck.waitForCount(upLine(fixture), 2);
    const second = pidOf(pcheck.lines.filter((line) => upLine(fixture).test(line))[1] ?? '');
    expect(second).not.toBe(first);
    expect(isAlive(second)).toBe(true);

    const shown = await padmin(pfile, box.env, '-c', 'show', 'pent');
    expect(shown.status).toBe(0);
    expect(shown.stdout).toContain(`pid                  = ${second}\n`);
    expect(shown.stdout).toContain('retry_count          = 1\n');
    expect(shown.stdout).toContain('restart_count        = 1\n');
    expect(shown.stdout).toContain('proc_sts             = AVAIL\n');
    expect(shown.stdout).toMatch(/rerun_time           = \d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d\n/);
  });

  it('a zombie is a death: restarted with reason zombie', async () => {
    const { fixture, pfile } = setup();
    // the parent execs a plain sleep that never reaps, so the killed fixture stays a zombie
    const holder = box.script('holder.sh', `${fixture} 1000 &\necho $! > ${box.dir}/child.pid\nexec sleep 1000`);
    const parent = startDetached(holder, []);
    box.track(parent);
    const child = await eventually(() => {
      try {
        return Number(readFileSync(`${box.dir}/child.pid`, 'utf8')) || undefined;
      } catch {
        return undefined;
      }
    });
    pcheck = new Pcheck(pfile, box.env);
    await pcheck.waitFor(new RegExp(`pid=${child}\\) Up`));
    process.kill(child, 'SIGKILL');
    await pcheck.waitFor(new RegExp(`Process \\['${fixture}',pid=${child}\\] Zombie`), 2000);
    await pcheck.waitFor(/restart reason=zombie/);
    await pcheck.waitForCount(upLine(fixture), 2);
  });

  it('a reused pid is noticed: the new process under the old pid is not taken for the old one', async () => {
    if (process.getuid?.() !== 0) throw new Error('this test needs root to choose the next pid (/proc/sys/kernel/ns_last_pid)');
    const { fixture, pfile } = setup();
    const first = startDetached(fixture);
    pcheck = new Pcheck(pfile, box.env);
    await pcheck.waitFor(upLine(fixture));
    // freeze pcheck, replace the process by another one with the same pid and the same executable
    pcheck.kill('SIGSTOP');
    process.kill(first, 'SIGKILL');
    await eventually(() => (isAlive(first) ? undefined : true));
    let reused = -1;
    for (let attempt = 0; attempt < 20 && reused !== first; attempt += 1) {
      writeFileSync('/proc/sys/kernel/ns_last_pid', String(first - 1));
      reused = startDetached(fixture);
      if (reused !== first) process.kill(reused, 'SIGKILL');
    }
    expect(reused).toBe(first);
    pcheck.kill('SIGCONT');
    await pcheck.waitFor(new RegExp(`Process \\['${fixture}',pid=${first}\\] Down`), 2000);
    await pcheck.waitFor(/restart reason=down/);
  });

  it('not running at start: Set pid fail, the script starts it, Up', async () => {
    const { fixture, pfile } = setup();
    pcheck = new Pcheck(pfile, box.env);
    await pcheck.waitFor(new RegExp(`Set pid fail \\('${fixture}'\\)`));
    await pcheck.waitFor(/restart reason=notfound old= retry=1/);
    await pcheck.waitFor(upLine(fixture));
  });
});

describe('discovery', () => {
  it('pidfile= follows the process the file names, not an older one with the same name', async () => {
    box = sandbox();
    const fixture = box.fixture('twin');
    const older = startDetached(fixture);
    await sleep(50);
    const named = startDetached(fixture);
    const pidfile = box.file('twin.pid', `${named}\n`);
    const script = box.script('restart.sh', 'exit 0');
    const pfile = box.file('pfile', `${fixture} ${script} - - - pidfile=${pidfile}\n${fixture} ${script}\n`);
    pcheck = new Pcheck(pfile, box.env);
    await pcheck.waitForCount(/\) Up$/, 2);
    const pents = JSON.parse((await padmin(pfile, box.env, '-c', 'show', 'pent', '--json')).stdout) as { pid: number }[];
    expect(pents.map((pent) => pent.pid)).toEqual([named, older]);
  });

  it("user= follows only that user's process; args= only a matching command line", async () => {
    if (process.getuid?.() !== 0) throw new Error('this test needs root to start a process as nobody');
    box = sandbox();
    const fixture = box.fixture('multi');
    const asRoot = startDetached(fixture, ['1000']);
    const asNobody = startDetached('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', fixture, '2000']);
    const script = box.script('restart.sh', 'exit 0');
    const pfile = box.file('pfile', `${fixture} ${script} - - - user=nobody\n${fixture} ${script} - - - "args=/ 1000$/"\n`);
    pcheck = new Pcheck(pfile, box.env);
    await pcheck.waitForCount(/\) Up$/, 2);
    const pents = JSON.parse((await padmin(pfile, box.env, '-c', 'show', 'pent', '--json')).stdout) as { pid: number }[];
    expect(pents.map((pent) => pent.pid)).toEqual([asNobody, asRoot]);
  });
});

describe('restart scripts', () => {
  it('a failing script is reported and retried until retry over', async () => {
    const { fixture, pfile } = setup({ script: 'echo broken >&2\nexit 7', entry: '2 600 continue start_wait=1' });
    pcheck = new Pcheck(pfile, box.env);
    await pcheck.waitFor(new RegExp(`Restart script failed \\('${fixture}'\\) exit=7`));
    await pcheck.waitFor(/Restart script output .*broken/);
    await pcheck.waitFor(new RegExp(`Retry over \\('${fixture}'\\) retries=2 action=continue`), 10_000);
    const shown = await padmin(pfile, box.env, '-c', 'show', 'pent');
    expect(shown.stdout).toContain('proc_sts             = UNAVAIL\n');
    expect(shown.stdout).toContain('monitor_sts          = off\n');
    expect(pcheck.child.exitCode).toBeNull();
  });

  it('a hanging script is ended at script_timeout: TERM, then KILL for what ignores it', async () => {
    const { fixture, pfile } = setup({
      script: `trap '' TERM\necho $$ > ${'$'}{0%/*}/script.pid\nsleep 1000`,
      entry: '1 600 continue script_timeout=1 start_wait=1',
    });
    pcheck = new Pcheck(pfile, box.env);
    await pcheck.waitFor(new RegExp(`Restart script timed out \\('${fixture}'\\) after 1s`), 15_000);
    const scriptPid = Number(readFileSync(`${box.dir}/script.pid`, 'utf8'));
    await eventually(() => (isAlive(scriptPid) ? undefined : true), 10_000, 'the hung script to be killed');
  });

  it('a script whose daemon keeps stdout open does not hold pcheck up', async () => {
    // the fixture inherits the script's stdout and stderr and keeps them for 1000 s
    const { fixture, pfile } = setup({ script: '', entry: '3 600 continue start_wait=5' });
    box.script('restart.sh', `${fixture} 1000 &\necho started`);
    pcheck = new Pcheck(pfile, box.env);
    const started = Date.now();
    // held up would mean 1000 s; 15 s leaves room for a loaded machine
    await pcheck.waitFor(upLine(fixture), 15_000);
    expect(Date.now() - started).toBeLessThan(15_000);
    await pcheck.waitFor(/Restart script output .*started/);
  });

  it('Set pid fail when the script runs but the process never appears', async () => {
    const { fixture, pfile } = setup({ script: 'exit 0', entry: '1 600 continue start_wait=1' });
    pcheck = new Pcheck(pfile, box.env);
    await pcheck.waitForCount(new RegExp(`Set pid fail \\('${fixture}'\\)`), 2, 10_000);
    await pcheck.waitFor(/Retry over/);
  });
});

describe('restarts side by side', () => {
  it("one entry's hanging script does not hold up another entry's restart", async () => {
    box = sandbox();
    const stuck = box.fixture('stuck');
    const quick = box.fixture('quick');
    const hang = box.script('hang.sh', 'sleep 1000');
    const restartQuick = box.script('quick.sh', `setsid ${quick} 1000 >/dev/null 2>&1 &`);
    const pfile = box.file('pfile', `${stuck} ${hang} 1 - - script_timeout=60\n${quick} ${restartQuick} - - - start_wait=5\n`);
    const victim = startDetached(quick);
    pcheck = new Pcheck(pfile, box.env);
    await pcheck.waitFor(new RegExp(`Try to restart \\('${stuck}'\\)`));
    await pcheck.waitFor(new RegExp(`pid=${victim}\\) Up`));
    process.kill(victim, 'SIGKILL');
    await pcheck.waitForCount(new RegExp(`\\('${quick}' ,pid=\\d+\\) Up`), 2, 5000);
    expect(pcheck.lines.join('\n')).not.toContain('timed out');
  });
});

describe('retry over actions', () => {
  it('shutdown: pcheck stops monitoring and exits 0, the monitored process is left alone', async () => {
    const { fixture, pfile } = setup({ script: 'exit 0', entry: '0 600 shutdown' });
    const victim = startDetached(fixture);
    pcheck = new Pcheck(pfile, box.env);
    await pcheck.waitFor(upLine(fixture));
    process.kill(victim, 'SIGKILL');
    expect(await pcheck.exited).toBe(0);
    expect(pcheck.lines.join('\n')).toMatch(/Retry over .* action=shutdown/);
  });

  it('exit: pcheck exits at once with status 3', async () => {
    const { fixture, pfile } = setup({ script: 'exit 0', entry: '0 600 EXIT' });
    const victim = startDetached(fixture);
    const bystander = startDetached(box.fixture('bystander'));
    pcheck = new Pcheck(pfile, box.env);
    await pcheck.waitFor(upLine(fixture));
    process.kill(victim, 'SIGKILL');
    expect(await pcheck.exited).toBe(3);
    expect(isAlive(bystander)).toBe(true);
  });

  it('continue: other entries go on; padmin start -p re-arms with counters cleared', async () => {
    box = sandbox();
    const broken = box.fixture('broken');
    const healthy = box.fixture('healthy');
    const none = box.script('none.sh', 'exit 0');
    const restartHealthy = box.script('healthy.sh', `setsid ${healthy} 1000 >/dev/null 2>&1 &`);
    const dump = join(box.dir, 'state.dump');
    const pfile = box.file('pfile', `DumpFileName ${dump}\n${broken} ${none} 0 - continue\n${healthy} ${restartHealthy} - - - start_wait=5\n`);
    startDetached(healthy);
    pcheck = new Pcheck(pfile, box.env);
    await pcheck.waitFor(/Retry over/);
    await pcheck.waitFor(upLine(healthy));
    await sleep(300);
    const shown = await padmin(pfile, box.env, '-c', 'show', 'pent', '--json');
    const pents = JSON.parse(shown.stdout) as { pent_id: number; proc_sts: string; restart_count: number }[];
    expect(pents.map((pent) => pent.proc_sts)).toEqual(['UNAVAIL', 'AVAIL']);
    // every retry over writes the state dump
    const written = JSON.parse(readFileSync(dump, 'utf8')) as { entries: { proc_sts: string }[] };
    expect(written.entries[0]?.proc_sts).toBe('UNAVAIL');

    startDetached(broken);
    const started = await padmin(pfile, box.env, '-c', 'start', '-p', '1');
    expect(started.status).toBe(0);
    await pcheck.waitFor(upLine(broken));
    const after = JSON.parse((await padmin(pfile, box.env, '-c', 'show', 'pent', '-p', '1', '--json')).stdout) as {
      proc_sts: string;
      retry_count: number;
      restart_count: number;
    }[];
    expect(after[0]).toMatchObject({ proc_sts: 'AVAIL', retry_count: 0, restart_count: 0 });
  });
});
