// Every padmin command and exit status, against the real daemon.
import { chmodSync, chownSync, mkdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderShow } from '../../src/cli/render.js';
import { logFilePath, runPaths } from '../../src/control/paths.js';
import { ok, TextAnswer, type Request } from '../../src/control/protocol.js';
import { startControlServer } from '../../src/daemon/control-server.js';
import { letOthersRunTheProject, PADMIN, padmin, PCHECK, Pcheck, ROOT, run, sandbox, startDetached, type Sandbox } from './harness.js';

let box: Sandbox;
let pcheck: Pcheck;
let pfile: string;
let alpha: string;
let beta: string;
let alphaPid: number;

beforeAll(async () => {
  box = sandbox();
  alpha = box.fixture('alpha');
  beta = box.fixture('beta');
  const restartAlpha = box.script('alpha.sh', `setsid ${alpha} 1000 >/dev/null 2>&1 &`);
  const restartBeta = box.script('beta.sh', `setsid ${beta} 1000 >/dev/null 2>&1 &`);
  pfile = box.file(
    'pfile',
    `MonitorInterval 5\nDumpFileName ${join(box.dir, 'dump.json')}\n${alpha} ${restartAlpha}\n${beta} ${restartBeta} 5 3600 exit start_wait=5\n`,
  );
  alphaPid = startDetached(alpha);
  startDetached(beta);
  pcheck = new Pcheck(pfile, box.env);
  await pcheck.waitForCount(/\) Up$/, 2);
});

afterAll(async () => {
  if (pcheck.child.exitCode === null) {
    pcheck.kill('SIGKILL');
    await pcheck.exited;
  }
  box.cleanup();
});

const show = (...args: string[]) => padmin(pfile, box.env, '-c', 'show', 'pent', ...args);

describe('padmin', () => {
  it('show pent prints the vendor layout, = in column 22, a blank line between entries', async () => {
    const result = await show();
    expect(result.status).toBe(0);
    const blocks = result.stdout.trimEnd().split('\n\n');
    expect(blocks).toHaveLength(2);
    expect(blocks[0]).toBe(
      [
        `pname                = ${alpha}`,
        `pid                  = ${alphaPid}`,
        'retry_count          = 0',
        'restart_count        = 0',
        'proc_sts             = AVAIL',
        'retry_over_act       = continue',
        'rerun_time           = -----',
        'pent_id              = 1',
        'monitor_sts          = on',
      ].join('\n'),
    );
    for (const line of result.stdout.split('\n').filter(Boolean)) expect(line.indexOf('=')).toBe(21);
    expect(blocks[1]).toContain('retry_over_act       = exit');
  });

  it('show pent -p and --json give the same facts for one entry', async () => {
    const result = await show('-p', '2', '--json');
    expect(result.status).toBe(0);
    const [pent] = JSON.parse(result.stdout) as Record<string, unknown>[];
    expect(pent).toMatchObject({ pname: beta, pent_id: 2, proc_sts: 'AVAIL', monitor_sts: 'on', rerun_time: null, stall_chk: [] });
  });

  it('show rule prints each entry with its defaults filled in', async () => {
    const result = await padmin(pfile, box.env, '-c', 'show', 'rule', '-p', '1');
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('retry_count          = 3\n');
    expect(result.stdout).toContain('grace                = 86400\n');
    expect(result.stdout).toContain('script_timeout       = 300\n');
    expect(result.stdout).toContain('start_wait           = 30\n');
    const json = await padmin(pfile, box.env, '-c', 'show', 'rule', '-p', '2', '--json');
    expect(JSON.parse(json.stdout)).toEqual([
      expect.objectContaining({ pent_id: 2, pname: beta, retry_count: 5, grace: 3600, retry_over_act: 'exit', start_wait: 5, script_timeout: 300, args: null, stall_chk: [] }),
    ]);
  });

  it('stop -p pauses one entry and start -p resumes it', async () => {
    expect((await padmin(pfile, box.env, '-c', 'stop', '-p', '1')).status).toBe(0);
    expect((await show('-p', '1')).stdout).toContain('monitor_sts          = off');
    expect((await show('-p', '2')).stdout).toContain('monitor_sts          = on');
    expect((await padmin(pfile, box.env, '-c', 'start', '-p', '1')).status).toBe(0);
    expect((await show('-p', '1')).stdout).toContain('monitor_sts          = on');
  });

  it('stop and start without -p act on every entry', async () => {
    expect((await padmin(pfile, box.env, '-c', 'stop')).status).toBe(0);
    expect((await show()).stdout.match(/monitor_sts {10}= off/g)).toHaveLength(2);
    expect((await padmin(pfile, box.env, '-c', 'start')).status).toBe(0);
    expect((await show()).stdout.match(/monitor_sts {10}= on/g)).toHaveLength(2);
  });

  it('an unknown pent_id is refused with status 1 and a reason', async () => {
    const result = await show('-p', '9');
    expect(result.status).toBe(1);
    expect(result.stderr).toBe('padmin: show pent: no entry with pent_id 9; padmin -c show pent lists them\n');
  });

  it('with no syslog socket, a successful command prints nothing on stderr: Command execute. goes to the structured log', async () => {
    const log = logFilePath('default', pfile, box.env);
    if (log === null) throw new Error('the sandbox pfile has the default LogFile');
    const before = readFileSync(log, 'utf8').split('\n').filter((line) => line.includes('"tag":"padmin"')).length;
    for (const args of [['-c', 'show', 'pent'], ['-c', 'show', 'rule', '-p', '1'], ['-c', 'stop', '-p', '1'], ['-c', 'start', '-p', '1']]) {
      const result = await padmin(pfile, box.env, ...args);
      expect({ args, status: result.status, stderr: result.stderr }).toEqual({ args, status: 0, stderr: '' });
    }
    const records = readFileSync(log, 'utf8').split('\n').filter((line) => line.includes('"tag":"padmin"')).slice(before);
    expect(records.map((line) => (JSON.parse(line) as { msg: string }).msg)).toEqual(
      ['show pent', 'show rule', 'stop', 'start'].map((command) => `Command execute. [${command}] pfile='${pfile}'`),
    );
  });

  it('usage errors exit 2: unknown command, bad -p, -p where it does not apply', async () => {
    const unknown = await padmin(pfile, box.env, '-c', 'explode');
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('unknown command "explode"');
    expect((await show('-p', 'x')).status).toBe(2);
    for (const command of ['reload', 'shutdown']) {
      const misplaced = await padmin(pfile, box.env, '-c', command, '-p', '1');
      expect(misplaced.status).toBe(2);
      expect(misplaced.stderr).toContain(`${command} takes no -p`);
    }
    expect(pcheck.child.exitCode).toBeNull();
  });

  it('the command line as commander read it: --help, -V, a missing or unknown option exits 2 naming it', async () => {
    const help = await run(process.execPath, [PADMIN, '--help'], box.env);
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^Usage: padmin -f <pfile> -c <command>/);
    expect(help.stdout).toContain('one of: show pent, show rule, show proc, show alert, test alert, stop, start, reload, shutdown');
    const noFile = await run(process.execPath, [PADMIN, '-c', 'show', 'pent'], box.env);
    expect(noFile.status).toBe(2);
    expect(noFile.stderr).toContain('padmin: -f, --file <pfile> is required');
    const unknown = await show('--verbose');
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('unknown option --verbose');
    // options after the command's words, and -c's words in the long form, as commander took them
    const late = await run(process.execPath, [PADMIN, '--command', 'show', 'pent', '--file', pfile, '-p', '1'], box.env);
    expect(late.status).toBe(0);
    expect(late.stdout).toContain(`pname                = ${alpha}`);
  });

  it('the show commands come laid out by pcheck, the same text padmin makes of the views', async () => {
    for (const command of ['pent', 'rule']) {
      const text = await padmin(pfile, box.env, '-c', 'show', command);
      const json = await padmin(pfile, box.env, '-c', 'show', command, '--json');
      expect(text.status).toBe(0);
      expect(text.stdout).toBe(`${renderShow(`show ${command}` as 'show pent', JSON.parse(json.stdout))}\n`);
    }
  });

  it('a pcheck that answers show pent with the views (one older than text: true) is laid out by padmin', async () => {
    const dir = join(box.dir, 'older-run');
    mkdirSync(dir);
    const older = box.file('older.pfile', '');
    const views = JSON.parse((await show('--json')).stdout) as unknown;
    const asked: Request[] = [];
    const server = await startControlServer(runPaths(older, dir).socket, async (request) => {
      asked.push(request);
      return ok(views);
    }, () => undefined);
    try {
      const result = await padmin(older, { ...box.env, PCHECK_RUN_DIR: dir }, '-c', 'show', 'pent');
      expect(result.status).toBe(0);
      expect(result.stdout).toBe(`${renderShow('show pent', views)}\n`);
      expect(asked).toEqual([{ v: 1, cmd: 'show pent', text: true }]);
    } finally {
      await new Promise((resolveClose) => server.close(resolveClose));
    }
  });

  it("the command's record is in the LogFile before the request reaches pcheck, for a show and for a stop", async () => {
    const dir = join(box.dir, 'record-run');
    mkdirSync(dir);
    const log = join(box.dir, 'record.log');
    const other = box.file('record.pfile', `LogFile ${log}\n`);
    const seen: string[] = [];
    const server = await startControlServer(runPaths(other, dir).socket, async () => {
      // what the LogFile holds at the moment the request arrives
      seen.push(readFileSync(log, 'utf8'));
      return ok([]);
    }, () => undefined);
    try {
      for (const command of [['show', 'rule'], ['stop']]) {
        const result = await padmin(other, { ...box.env, PCHECK_RUN_DIR: dir }, '-c', ...command);
        expect(result.status).toBe(0);
      }
    } finally {
      await new Promise((resolveClose) => server.close(resolveClose));
    }
    expect(seen).toHaveLength(2);
    expect(seen[0]).toContain(`Command execute. [show rule] pfile='${other}'`);
    expect(seen[1]).toContain(`Command execute. [stop] pfile='${other}'`);
  });

  it('a text answer is printed byte for byte, UTF-8 included; one cut short is an error, exit 1', async () => {
    const dir = join(box.dir, 'text-run');
    mkdirSync(dir);
    const other = box.file('text.pfile', '');
    const text = `pname                = 監視対象 "quoted" \\ tab\t\n${'x'.repeat(300_000)}\n`;
    const server = await startControlServer(runPaths(other, dir).socket, async () => new TextAnswer(text), () => undefined);
    try {
      const result = await padmin(other, { ...box.env, PCHECK_RUN_DIR: dir }, '-c', 'show', 'pent');
      expect(result.status).toBe(0);
      expect(result.stdout).toBe(text);
    } finally {
      await new Promise((resolveClose) => server.close(resolveClose));
    }
    // a header that promises more bytes than come
    const socket = runPaths(other, dir).socket;
    const liar = createServer((client) => {
      client.on('error', () => undefined);
      client.once('data', () => client.end('{"v":1,"ok":true,"bytes":100}\nonly this'));
    });
    await new Promise<void>((resolveListen) => liar.listen(socket, resolveListen));
    try {
      const cut = await padmin(other, { ...box.env, PCHECK_RUN_DIR: dir }, '-c', 'show', 'pent');
      expect(cut.status).toBe(1);
      expect(cut.stderr).toContain('ended its answer after 9 of its bytes');
      expect(cut.stdout).toBe('');
    } finally {
      await new Promise((resolveClose) => liar.close(resolveClose));
    }
  });

  it('no pcheck for this pfile: status 3; when the pfile does not exist either, padmin says both', async () => {
    const other = box.file('other.pfile', '');
    const result = await padmin(other, box.env, '-c', 'show', 'pent');
    expect(result.status).toBe(3);
    expect(result.stderr).toContain('no pcheck is running');
    const missingPfile = join(box.dir, 'missing');
    const missing = await padmin(missingPfile, box.env, '-c', 'show', 'pent');
    expect(missing.status).toBe(3);
    expect(missing.stderr).toContain(`padmin: no pcheck is running for ${missingPfile}, and ${missingPfile} does not exist\n`);
  });

  it('permission denied for another user: status 4', async () => {
    if (process.getuid?.() !== 0) throw new Error('this test needs root to run padmin as nobody');
    // nobody may read the pfile, but not enter pcheck's 0700 run directory
    letOthersRunTheProject();
    chmodSync(box.dir, 0o755);
    chmodSync(pfile, 0o644);
    const result = await run('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, PADMIN, '-f', pfile, '-c', 'show', 'pent'], box.env);
    expect(result.status).toBe(4);
    expect(result.stderr).toContain('permission denied');
  });

  it("a non-root padmin with no pcheck of its own, facing root's run directory it cannot enter: status 4, naming it", async () => {
    if (process.getuid?.() !== 0) throw new Error('this test needs root to run padmin as nobody');
    letOthersRunTheProject();
    chmodSync(box.dir, 0o755);
    const rootRunDir = box.env.PCHECK_RUN_DIR as string;
    expect(statSync(rootRunDir).mode & 0o777).toBe(0o700);
    // as a user's shell has it: no PCHECK_RUN_DIR, so padmin looks in its own run directory first
    const env: NodeJS.ProcessEnv = { ...box.env, PCHECK_ROOT_RUN_DIR: rootRunDir, HOME: '/nonexistent' };
    delete env.PCHECK_RUN_DIR;
    delete env.XDG_RUNTIME_DIR;
    const nobody = ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, PADMIN, '-f', pfile, '-c', 'show', 'pent'];
    const result = await run('setpriv', nobody, env);
    expect(result.status).toBe(4);
    expect(result.stderr).toContain(`no pcheck is running for ${pfile}`);
    expect(result.stderr).toContain(`permission denied on ${runPaths(pfile, rootRunDir).socket}: the run directory ${rootRunDir} and its socket are for the user pcheck runs as`);
    // root's run directory absent: nothing to be denied, no pcheck
    const absent = await run('setpriv', nobody, { ...env, PCHECK_ROOT_RUN_DIR: join(box.dir, 'no-such-run-dir') });
    expect(absent.status).toBe(3);
  });

  it('the socket is 0600 in a 0700 directory', async () => {
    const paths = runPaths(pfile, box.env.PCHECK_RUN_DIR);
    expect(statSync(paths.socket).mode & 0o777).toBe(0o600);
    expect(statSync(paths.dir).mode & 0o777).toBe(0o700);
  });

  it('a broken request never hurts pcheck: garbage, oversized, silent clients', async () => {
    const socketPath = runPaths(pfile, box.env.PCHECK_RUN_DIR).socket;
    const exchange = (payload: string | Buffer, end = true) =>
      new Promise<string>((resolve) => {
        const socket = createConnection(socketPath);
        let answer = '';
        socket.on('data', (chunk) => (answer += chunk.toString()));
        socket.on('close', () => resolve(answer));
        socket.on('error', () => resolve(answer));
        socket.write(payload);
        if (end) socket.end();
      });
    expect(await exchange('this is not json\n')).toContain('"code":"E_PARSE"');
    expect(await exchange('{"v":99,"cmd":"show pent"}\n')).toContain('"code":"E_VERSION"');
    expect(await exchange('{"v":1,"cmd":"rm -rf"}\n')).toContain('"code":"E_COMMAND"');
    expect(await exchange(Buffer.alloc(70 * 1024, 'a'), false)).toContain('"code":"E_TOO_LARGE"');
    expect((await show()).status).toBe(0);
  });

  it('a client that never finishes its request is cut off after 5 s; pcheck answers others meanwhile', async () => {
    const socketPath = runPaths(pfile, box.env.PCHECK_RUN_DIR).socket;
    const started = Date.now();
    const silent = new Promise<string>((resolve) => {
      const socket = createConnection(socketPath);
      let answer = '';
      socket.on('data', (chunk) => (answer += chunk.toString()));
      socket.on('close', () => resolve(answer));
      socket.write('{"v":1,');
    });
    expect((await show()).status).toBe(0);
    expect(await silent).toContain('"code":"E_TIMEOUT"');
    expect(Date.now() - started).toBeGreaterThanOrEqual(4900);
  });

  it('reload with a bad pfile changes nothing and prints every error; a good one applies', async () => {
    const good = readFileSync(pfile, 'utf8');
    writeFileSync(pfile, `${good}MonitorInterval banana\n/nowhere/x /no/such/script\n`);
    const refused = await padmin(pfile, box.env, '-c', 'reload');
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(new RegExp(`${pfile}:\\d+: error: .*MonitorInterval`));
    expect(refused.stderr).toMatch(new RegExp(`${pfile}:\\d+: error: .*/no/such/script`));
    expect((await show()).stdout.trimEnd().split('\n\n')).toHaveLength(2);
    await pcheck.waitFor(/pfile reload refused/);

    writeFileSync(pfile, good.split('\n').filter((line) => !line.startsWith(beta)).join('\n'));
    const applied = await padmin(pfile, box.env, '-c', 'reload');
    expect(applied.status).toBe(0);
    expect(applied.stdout).toContain('kept 1, added 0, removed 1');
    const after = await show();
    expect(after.stdout.trimEnd().split('\n\n')).toHaveLength(1);
    expect(after.stdout).toContain(`pid                  = ${alphaPid}`);
    writeFileSync(pfile, good);
    expect((await padmin(pfile, box.env, '-c', 'reload')).stdout).toContain('kept 1, added 1, removed 0');
  });

  it('SIGUSR1 writes the state dump atomically', async () => {
    pcheck.kill('SIGUSR1');
    await pcheck.waitFor(/State dump written/);
    const dump = JSON.parse(readFileSync(join(box.dir, 'dump.json'), 'utf8')) as { entries: { pname: string }[] };
    expect(dump.entries.map((entry) => entry.pname)).toEqual([alpha, beta]);
  });

  it('shutdown ends pcheck with status 0 and leaves the monitored processes running', async () => {
    const result = await padmin(pfile, box.env, '-c', 'shutdown');
    expect(result.status).toBe(0);
    expect(await pcheck.exited).toBe(0);
    expect(() => process.kill(alphaPid, 0)).not.toThrow();
    const after = await show();
    expect(after.status).toBe(3);
  });
});

describe('padmin output through a pipe', () => {
  const ENTRIES = 1000;
  let pipeBox: Sandbox;
  let pipePcheck: Pcheck;
  let bigPfile: string;

  beforeAll(async () => {
    pipeBox = sandbox();
    const noop = pipeBox.script('noop.sh', 'exit 0');
    // never found; retry_count 0 with continue: UNAVAIL at once, the script is never run
    const lines = Array.from({ length: ENTRIES }, (_, i) => `pcheck-e2e-absent-${i} ${noop} 0 - continue\n`);
    bigPfile = pipeBox.file('pfile', lines.join(''));
    pipePcheck = new Pcheck(bigPfile, pipeBox.env);
    await pipePcheck.waitForCount(/Retry over/, ENTRIES, 30_000);
  });

  afterAll(async () => {
    pipePcheck.kill('SIGKILL');
    await pipePcheck.exited;
    pipeBox.cleanup();
  });

  it('show pent --json of 1000 entries arrives whole: valid JSON, every entry', async () => {
    const result = await padmin(bigPfile, pipeBox.env, '-c', 'show', 'pent', '--json');
    expect(result.status).toBe(0);
    expect(result.stdout.length).toBeGreaterThan(64 * 1024);
    const pents = JSON.parse(result.stdout) as { pent_id: number }[];
    expect(pents.map((pent) => pent.pent_id)).toEqual(Array.from({ length: ENTRIES }, (_, i) => i + 1));
  });

  it('show pent of 1000 entries arrives whole as text', async () => {
    const result = await padmin(bigPfile, pipeBox.env, '-c', 'show', 'pent');
    expect(result.status).toBe(0);
    expect(result.stdout.match(/^pent_id {14}= \d+$/gm)).toHaveLength(ENTRIES);
    expect(result.stdout.endsWith(`pent_id              = ${ENTRIES}\nmonitor_sts          = off\n`)).toBe(true);
  });

  it('pcheck -t output arrives whole too: the listed warnings, then how many more', async () => {
    // one warning per block (a stall interval below 10 s); -t lists the first 100, then one line for the rest
    const noop = pipeBox.script('noop2.sh', 'exit 0');
    const block = (i: number) => `pcheck-e2e-w${i} ${noop}\n_bi_socket {\n  PS_EXEC DLL:x:DIRECT:5:5:0:2:30:${1000 + i}\n}\n`;
    const noisy = pipeBox.file('noisy', Array.from({ length: 2000 }, (_, i) => block(i)).join(''));
    const result = await run(process.execPath, [PCHECK, '-t', '-f', noisy], pipeBox.env);
    expect(result.status).toBe(0);
    expect(result.stdout).toBe(`${noisy}: ok, 2000 entries\n`);
    const lines = result.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(101);
    expect(lines[99]).toContain(`${noisy}:${4 * 99 + 3}: warning: PS_EXEC interval 5 s is below`);
    expect(lines[100]).toContain('1900 more warnings from here on are not listed');
  });
});

describe('a pfile deleted or unreadable under its pcheck', () => {
  let lostBox: Sandbox;
  const daemons: Pcheck[] = [];

  beforeAll(() => {
    lostBox = sandbox();
  });

  afterAll(async () => {
    for (const daemon of daemons) {
      if (daemon.child.exitCode === null) {
        daemon.kill('SIGKILL');
        await daemon.exited;
      }
    }
    lostBox.cleanup();
  });

  it('deleted: padmin still shows its entries and shuts it down', async () => {
    const lost = lostBox.file('deleted.pfile', `pcheck-e2e-gone /bin/true 0 - continue\n`);
    const daemon = new Pcheck(lost, lostBox.env);
    daemons.push(daemon);
    await daemon.waitFor(/Retry over/);
    unlinkSync(lost);
    const shown = await padmin(lost, lostBox.env, '-c', 'show', 'pent');
    expect(shown.status).toBe(0);
    expect(shown.stdout).toContain('pname                = pcheck-e2e-gone');
    const stopped = await padmin(lost, lostBox.env, '-c', 'shutdown');
    expect(stopped.status).toBe(0);
    expect(await daemon.exited).toBe(0);
  });

  it('unreadable to the user pcheck and padmin run as: padmin still shows and shuts down', async () => {
    if (process.getuid?.() !== 0) throw new Error('this test needs root to run pcheck and padmin as nobody');
    letOthersRunTheProject();
    chmodSync(lostBox.dir, 0o755);
    const home = join(lostBox.dir, 'nobody');
    mkdirSync(home, { mode: 0o755 });
    chownSync(home, 65534, 65534);
    const env = { ...lostBox.env, PCHECK_RUN_DIR: join(home, 'run'), PCHECK_LOG_DIR: join(home, 'log') };
    const locked = join(home, 'pfile');
    writeFileSync(locked, 'pcheck-e2e-locked /bin/true 0 - continue\n');
    chownSync(locked, 65534, 65534);
    const asNobody = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'];
    const daemon = new Pcheck(locked, env, ['-F'], asNobody);
    daemons.push(daemon);
    await daemon.waitFor(/Retry over/);
    chmodSync(locked, 0o000);
    const padminAsNobody = (...args: string[]) => run(asNobody[0] as string, [...asNobody.slice(1), process.execPath, PADMIN, '-f', locked, ...args], env);
    const shown = await padminAsNobody('-c', 'show', 'pent');
    expect(shown.status).toBe(0);
    expect(shown.stdout).toContain('pname                = pcheck-e2e-locked');
    expect((await padminAsNobody('-c', 'shutdown')).status).toBe(0);
    expect(await daemon.exited).toBe(0);
  });
});

describe('--version', () => {
  it('pcheck and padmin print the version of package.json and exit 0', async () => {
    const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    for (const program of [PCHECK, PADMIN]) {
      const result = await run(process.execPath, [program, '--version'], process.env);
      expect(result).toEqual({ status: 0, stdout: `${version}\n`, stderr: '' });
    }
  });
});
