// Stall monitoring with the real binaries against real HTTP, HTTPS and TCP servers.
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually, freePort, isGone, letOthersRunTheProject, padmin, Pcheck, ROOT, sandbox, startDetached, type Sandbox } from './harness.js';

const SERVER = resolve(ROOT, 'test/fixtures/server.mjs');
let box: Sandbox;
let pcheck: Pcheck | null = null;

afterEach(async () => {
  await pcheck?.stop();
  pcheck = null;
  box.cleanup();
});


const BLOCKS = { web: '_bi_webserv', ssl: '_bi_webservs', skt: '_bi_socket' } as const;

/**
 * A pfile watching one fixture server (matched by its script path in args=) with one stall block:
 * interval 1 s and retry-over time 3 s unless given; the probe timeout is the interval.
 */
async function setup(
  kind: 'web' | 'ssl' | 'skt',
  options: { status?: number; execError?: 0 | 1; actionError?: 0 | 1; action?: string; entryOptions?: (dir: string) => string; interval?: number; retryOver?: number } = {},
) {
  box = sandbox();
  const port = await freePort();
  const copy = join(box.dir, 'server.mjs');
  execFileSync('cp', [SERVER, copy]);
  if (kind === 'ssl') {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(box.dir, 'key.pem'), '-out', join(box.dir, 'cert.pem'), '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost'], { stdio: 'ignore' });
  }
  const serverKind = kind === 'web' ? 'http' : kind === 'ssl' ? 'https' : 'tcp';
  const pidfile = join(box.dir, 'server.pid');
  const script = box.script(
    'restart.sh',
    `echo "restart reason=$PS_REASON"\nSERVER_PIDFILE=${pidfile} setsid ${process.execPath} ${copy} ${serverKind} ${port} ${options.status ?? 200} ${box.dir} >/dev/null 2>&1 </dev/null &`,
  );
  const lib = `/opt/HA/PSWE/lib/lib${BLOCKS[kind]}.so`;
  const interval = options.interval ?? 1;
  const retryOver = options.retryOver ?? 3;
  const exec =
    kind === 'ssl'
      ? `DLL:${lib}:DIRECT:-:${interval}:${options.execError ?? 0}:5:${retryOver}:${port}:localhost:${interval}:/`
      : `DLL:${lib}:DIRECT:-:${interval}:${options.execError ?? 0}:2:${retryOver}:${port}`;
  const pfile = box.file(
    'pfile',
    [
      `${process.execPath} ${script} 3 600 ${options.action ?? 'continue'} args=${copy} start_wait=10 ${options.entryOptions?.(box.dir) ?? ''}`,
      `${BLOCKS[kind]} {`,
      `    PS_INIT    DLL:${lib}:DIRECT:-:::0`,
      `    PS_EXEC    ${exec}`,
      `    PS_ACTION  DLL:${lib}:DIRECT:-::${options.actionError ?? 1}:0`,
      `    PS_QUIT    DLL:${lib}:DIRECT:-:::0`,
      '}',
      '',
    ].join('\n'),
  );
  execFileSync('sh', [script], { env: box.env });
  const pid = await eventually(() => {
    try {
      return Number(readFileSync(pidfile, 'utf8')) || undefined;
    } catch {
      return undefined;
    }
  });
  return { pfile, port, pid, pidfile, script };
}

const stallLine = (kind: 'web' | 'ssl' | 'skt') => (kind === 'skt' ? 'stall_chk (skt)' : kind === 'ssl' ? 'stall_chk (ssl)' : 'stall_chk (web)');

async function stallChk(pfile: string, kind: 'web' | 'ssl' | 'skt'): Promise<string> {
  const shown = await padmin(pfile, box.env, '-c', 'show', 'pent');
  return new RegExp(`${stallLine(kind).replace(/[()]/g, '\\$&')} *= (\\w+)`).exec(shown.stdout)?.[1] ?? `(not shown)\n${shown.stdout}${shown.stderr}`;
}

describe('stall monitoring', () => {
  for (const kind of ['web', 'ssl'] as const) {
    it(`${kind}: a server that stops answering (SIGSTOP) is found stalled, killed, restarted, and AVAIL again`, async () => {
      const { pfile, port, pid } = await setup(kind);
      pcheck = new Pcheck(pfile, box.env);
      await pcheck.waitFor(new RegExp(`pid=${pid}\\) Up`));
      await eventually(async () => ((await stallChk(pfile, kind)) === 'AVAIL' ? true : undefined), 10_000, 'stall_chk AVAIL');
      process.kill(pid, 'SIGSTOP');
      await pcheck.waitFor(new RegExp(`Find Web Server Stall: pid = ${pid} : port = ${port}$`), 15_000);
      const found = pcheck.lines.findIndex((line) => line.includes(`Find Web Server Stall: pid = ${pid} `));
      await pcheck.waitFor(new RegExp(`Killed Process: pid= ${pid}$`));
      await pcheck.waitFor(/Try to restart/);
      // the restart follows death monitoring: the death is logged between the kill and the restart
      const sequence = pcheck.lines.slice(found).filter((line) => /Killed Process|pid=\d+\] (Down|Zombie)|Try to restart/.test(line));
      expect(sequence.map((line) => line.replace(/^pcheck\[\d+\]: /, ''))).toEqual([
        `Killed Process: pid= ${pid}`,
        expect.stringMatching(new RegExp(`pid=${pid}\\] (Down|Zombie)$`)),
        expect.stringMatching(/^Try to restart/),
      ]);
      await pcheck.waitFor(/restart reason=stall/);
      await pcheck.waitForCount(/\) Up$/, 2, 15_000);
      await eventually(async () => ((await stallChk(pfile, kind)) === 'AVAIL' ? true : undefined), 10_000, 'stall_chk AVAIL again');
      expect(isGone(pid)).toBe(true);
    });
  }

  it('ssl with tls_verify=yes: trusted through tls_ca it passes; a self-signed certificate cannot tell and kills nothing', async () => {
    const trusted = await setup('ssl', { entryOptions: (dir) => `tls_verify=yes tls_ca=${join(dir, 'cert.pem')}` });
    pcheck = new Pcheck(trusted.pfile, box.env);
    await eventually(async () => ((await stallChk(trusted.pfile, 'ssl')) === 'AVAIL' ? true : undefined), 10_000, 'stall_chk AVAIL with tls_ca');
    pcheck.kill('SIGKILL');
    await pcheck.exited;
    box.cleanup();

    // killing the server renews no certificate: the check shows UNKNOWN and says why, once
    const untrusted = await setup('ssl', { entryOptions: () => 'tls_verify=yes' });
    pcheck = new Pcheck(untrusted.pfile, box.env);
    await pcheck.waitFor(
      new RegExp(`Stall probe cannot tell \\('[^']+'\\) _bi_webservs localhost:${untrusted.port}: DEPTH_ZERO_SELF_SIGNED_CERT: self-signed certificate; not counted toward a stall$`),
      10_000,
    );
    expect(await stallChk(untrusted.pfile, 'ssl')).toBe('UNKNOWN');
    // two retry-over periods
    await new Promise((wait) => setTimeout(wait, 6000));
    expect(pcheck.lines.join('\n')).not.toMatch(/Stall:|Killed Process/);
    expect(pcheck.lines.filter((line) => line.includes('Stall probe cannot tell'))).toHaveLength(1);
    expect(isGone(untrusted.pid)).toBe(false);
  });

  it('a stall is found within retry-over + one interval of the stop, with the probe timeout equal to the interval', async () => {
    const interval = 2;
    const retryOver = 6;
    // what the event loop and two shared cores may add to the deadline: a wait, not a speed check
    const schedulingMarginMs = 1500;
    const { pfile, port, pid } = await setup('web', { interval, retryOver });
    pcheck = new Pcheck(pfile, box.env);
    await eventually(async () => ((await stallChk(pfile, 'web')) === 'AVAIL' ? true : undefined), 10_000, 'stall_chk AVAIL');
    const linesBeforeStop = pcheck.lines.length;
    process.kill(pid, 'SIGSTOP');
    const stoppedAt = Date.now();
    // the first failure is logged with host, port and error
    await pcheck.waitFor(new RegExp(`Stall probe failed \\('[^']+'\\) _bi_webserv 127\\.0\\.0\\.1:${port}: timeout after ${interval * 1000} ms; a stall after ${retryOver}s without an answer$`), 10_000, linesBeforeStop);
    await pcheck.waitFor(
      new RegExp(`Find Web Server Stall: pid = ${pid} : port = ${port}$`),
      (retryOver + interval) * 1000 + schedulingMarginMs - (Date.now() - stoppedAt),
      linesBeforeStop,
    );
    await pcheck.waitFor(new RegExp(`Killed Process: pid= ${pid}$`));
  });

  it('skt: a TCP server that stops accepting is a socket stall', async () => {
    const { pfile, port, pid } = await setup('skt');
    pcheck = new Pcheck(pfile, box.env);
    await eventually(async () => ((await stallChk(pfile, 'skt')) === 'AVAIL' ? true : undefined), 10_000, 'stall_chk AVAIL');
    process.kill(pid, 'SIGUSR2');
    await pcheck.waitFor(new RegExp(`Find Socket Service Stall: pid = ${pid} : port = ${port}$`), 15_000);
    await pcheck.waitFor(new RegExp(`Killed Process: pid= ${pid}$`));
    await pcheck.waitForCount(/\) Up$/, 2, 15_000);
  });

  it('a probe that hangs does not delay the death checks', async () => {
    box = sandbox();
    // a server that accepts and never answers: each HTTP probe hangs until its 5 s timeout
    const silent = createServer((socket) => socket.on('error', () => undefined));
    const silentPort = await new Promise<number>((resolvePort) => silent.listen(0, '127.0.0.1', () => resolvePort((silent.address() as { port: number }).port)));
    const fixture = box.fixture('hung');
    const script = box.script('restart.sh', `setsid ${fixture} 1000 >/dev/null 2>&1 &`);
    const pfile = box.file(
      'pfile',
      `${fixture} ${script} - - - start_wait=5\n_bi_webservs {\n PS_EXEC DLL:/x.so:DIRECT:-:10:0:4:60:${silentPort}:127.0.0.1:5\n}\n`,
    );
    const victim = box.fixture('victim');
    startDetached(fixture);
    const first = startDetached(victim);
    writeFileSync(pfile, `${readFileSync(pfile, 'utf8')}${victim} ${script}\n`);
    pcheck = new Pcheck(pfile, box.env);
    try {
      await pcheck.waitFor(new RegExp(`pid=${first}\\) Up`));
      await new Promise((wait) => setTimeout(wait, 300));
      process.kill(first, 'SIGKILL');
      // noticed while the probe is still waiting for its 5 s timeout
      await pcheck.waitFor(new RegExp(`pid=${first}\\] Down`), 2000);
    } finally {
      silent.close();
    }
  });

  it('a server answering 500 is alive, not stalled', async () => {
    const { pfile } = await setup('web', { status: 500 });
    pcheck = new Pcheck(pfile, box.env);
    await eventually(async () => ((await stallChk(pfile, 'web')) === 'AVAIL' ? true : undefined), 10_000, 'stall_chk AVAIL');
    await new Promise((wait) => setTimeout(wait, 5000));
    expect(pcheck.lines.join('\n')).not.toContain('Stall');
    expect(await stallChk(pfile, 'web')).toBe('AVAIL');
  });

  it('EXEC error = 1: one detection, then stall monitoring stops while death monitoring goes on', async () => {
    const { pfile, pidfile } = await setup('web', { execError: 1 });
    pcheck = new Pcheck(pfile, box.env);
    await eventually(async () => ((await stallChk(pfile, 'web')) === 'AVAIL' ? true : undefined), 10_000, 'stall_chk AVAIL');
    process.kill(Number(readFileSync(pidfile, 'utf8')), 'SIGSTOP');
    await pcheck.waitFor(/Find Web Server Stall/, 15_000);
    await pcheck.waitForCount(/\) Up$/, 2, 15_000);
    await eventually(async () => ((await stallChk(pfile, 'web')) === 'UNAVAIL' ? true : undefined), 5000, 'stall_chk UNAVAIL');
    const second = Number(readFileSync(pidfile, 'utf8'));
    process.kill(second, 'SIGSTOP');
    await new Promise((wait) => setTimeout(wait, 5000));
    expect(pcheck.lines.filter((line) => line.includes('Find Web Server Stall'))).toHaveLength(1);
    process.kill(second, 'SIGKILL');
    await pcheck.waitFor(new RegExp(`pid=${second}\\] (Down|Zombie)`), 5000);
  });

  it('a kill that fails follows ACTION error = 1: the entry\'s retry_over_action (exit -> status 3)', async () => {
    if (process.getuid?.() !== 0) throw new Error('this test needs root: pcheck runs as nobody so that its kill of a root process fails');
    const { pfile, pid } = await setup('web', { action: 'exit' });
    // pcheck runs as nobody: it can read /proc and probe, but not kill root's server
    letOthersRunTheProject();
    chmodSync(box.dir, 0o755);
    const runDir = join(box.dir, 'nobody-run');
    mkdirSync(runDir, { mode: 0o700 });
    chownSync(runDir, 65534, 65534);
    for (const file of ['pfile', 'restart.sh']) chmodSync(join(box.dir, file), 0o755);
    box.env.PCHECK_RUN_DIR = runDir;
    box.env.PCHECK_LOG_DIR = runDir;
    pcheck = new Pcheck(pfile, box.env, ['-F'], ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups']);
    await eventually(async () => ((await stallChk(pfile, 'web')) === 'AVAIL' ? true : undefined), 10_000, 'stall_chk AVAIL');
    process.kill(pid, 'SIGSTOP');
    await pcheck.waitFor(new RegExp(`Can not killed Process: pid= ${pid}$`), 15_000);
    expect(await pcheck.exited).toBe(3);
    process.kill(pid, 'SIGKILL');
  });
});
