// The quick-start demo and the vendor's three sample pfiles, run as a newcomer would run them.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { lockDemoServer } from '../package/demo-lock.js';
import { eventually, freePort, padmin, Pcheck, ROOT, run, sandbox, type Sandbox } from './harness.js';
import { named, Started } from './processes.js';

let box: Sandbox;
let started: Started;
const cleanups: (() => void)[] = [];

/** The demo server, matched by name as the demo's pfile matches it (process.title = 'pcheck-demo'). */
const demoServer = named('pcheck-demo');

/** Whether this test made a sandbox (the template directory check makes none). */
let boxed = false;

let releaseDemo: (() => void) | undefined;

// every test here runs a demo server: one at a time with the package test's (test/package/demo-lock.ts)
beforeEach(async () => {
  releaseDemo = await lockDemoServer();
}, 660_000);

afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
  if (boxed) {
    boxed = false;
    started.kill(demoServer);
    box.cleanup();
  }
  releaseDemo?.();
  releaseDemo = undefined;
});

/**
 * A sandbox for a test whose pcheck watches `pcheck-demo` by name: it would adopt a demo server it did
 * not start (and the demo test kill -9 it), so refuse when one runs that this test did not start.
 */
function demoSandbox(): Sandbox {
  box = sandbox();
  boxed = true;
  started = new Started(box.dir);
  started.refuseOthers(
    "the demo's pfile watches every process named pcheck-demo, and this test kill -9s the one pcheck finds",
    demoServer,
    'Stop it (kill <pid>) or run the tests in a container.',
  );
  return box;
}

describe('the quick-start demo', () => {
  it('templates/demo/run: kill -9 -> Down, Try to restart, Up; the printed padmin commands work and log to the demo\'s own log; the 4th kill inside 60 s is a retry over, re-armed by start -p 1', async () => {
    demoSandbox();
    const port = await freePort();
    const demoDir = join(box.dir, 'demo');
    const env = { ...box.env, PCHECK_DEMO_DIR: demoDir, PCHECK_DEMO_PORT: String(port), PCHECK_DEMO_LOG: join(box.dir, 'demo.log') };
    const demo = spawn('sh', [join(ROOT, 'templates/demo/run')], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    cleanups.push(() => demo.kill('SIGKILL'));
    let output = '';
    demo.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    demo.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const ups = () => [...output.matchAll(/\('pcheck-demo' ,pid=(\d+)\) Up/g)].map((match) => Number(match[1]));
    const upNumber = (n: number) => eventually(() => ups()[n - 1], 15_000, `Up number ${n}`);
    const first = await upNumber(1);
    expect(started.mine(demoServer).map((info) => info.pid)).toEqual([first]);
    process.kill(first, 'SIGKILL');
    await eventually(() => (new RegExp(`Process \\['pcheck-demo',pid=${first}\\] (Down|Zombie)`).test(output) ? true : undefined), 5000, 'Down');
    await eventually(() => (output.includes("Try to restart ('pcheck-demo')") ? true : undefined), 5000, 'Try to restart');
    await upNumber(2);

    // the padmin commands as printed, run by a shell that has none of the demo's environment, and a
    // PCHECK_LOG_DIR elsewhere: the record must land in the demo's own log all the same
    const printed = (command: string): string => {
      const line = output.split('\n').find((text) => text.trimEnd().endsWith(`padmin.js' -f '${demoDir}/pfile' -c ${command}`));
      if (line === undefined) throw new Error(`the demo prints no padmin -c ${command} line:\n${output}`);
      return line.trim();
    };
    const shellEnv: NodeJS.ProcessEnv = { ...box.env, PCHECK_LOG_DIR: join(box.dir, 'elsewhere') };
    delete shellEnv.PCHECK_RUN_DIR;
    const shown = await run('sh', ['-c', printed('show pent')], shellEnv);
    expect({ status: shown.status, stderr: shown.stderr }).toEqual({ status: 0, stderr: '' });
    expect(shown.stdout).toContain('restart_count        = 1');
    expect(output).toContain(`structured log (JSON, one line per message, padmin's commands too): ${demoDir}/log/demo.log`);
    const demoLog = readFileSync(join(demoDir, 'log/demo.log'), 'utf8');
    expect(demoLog).toContain(`"msg":"Command execute. [show pent] pfile='${demoDir}/pfile'"`);
    expect(existsSync(join(box.dir, 'elsewhere'))).toBe(false);

    // as the README says: 3 restarts inside 60 s, the 4th kill is a retry over
    for (const n of [2, 3]) {
      process.kill(await upNumber(n), 'SIGKILL');
      await upNumber(n + 1);
    }
    process.kill(await upNumber(4), 'SIGKILL');
    await eventually(() => (output.includes("Retry over ('pcheck-demo') retries=3 action=continue") ? true : undefined), 5000, 'Retry over');
    expect((await run('sh', ['-c', printed('show pent')], shellEnv)).stdout).toMatch(/proc_sts {13}= UNAVAIL\n[^]*monitor_sts {10}= off/);
    const rearmed = await run('sh', ['-c', printed('start -p 1')], shellEnv);
    expect(rearmed).toMatchObject({ status: 0, stdout: 'monitoring started: pent_id 1\n', stderr: '' });
    // found missing at the next full check (MonitorInterval 10) and started again
    const fifth = await upNumber(5);
    expect(started.mine(demoServer).map((info) => info.pid)).toEqual([fifth]);
    expect(output).toContain('reason=notfound');
  }, 60_000);
});

describe("the vendor's samples in templates/samples", () => {
  const cases = [
    ['pfile_sample1', 'web', ':8080'],
    ['pfile_sample3', 'ssl', ':433:'],
    ['pfile_sample2', 'skt', ':8080'],
  ] as const;
  for (const [name, kind, portText] of cases) {
    it(`${name} runs after changing only the port: stall_chk (${kind}) AVAIL`, async () => {
      demoSandbox();
      const port = await freePort();
      const original = readFileSync(join(ROOT, 'templates/samples', name), 'utf8');
      expect(original.split(portText)).toHaveLength(2);
      const copy = join(ROOT, 'templates/samples', `.test-${name}-${port}`);
      writeFileSync(copy, original.replace(portText, portText.replace(/\d+/, String(port))));
      cleanups.push(() => rmSync(copy, { force: true }));
      const env: NodeJS.ProcessEnv = { ...box.env, PCHECK_DEMO_PORT: String(port), PCHECK_DEMO_LOG: join(box.dir, 'demo.log') };
      if (kind === 'ssl') {
        execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(box.dir, 'key.pem'), '-out', join(box.dir, 'cert.pem'), '-days', '1', '-subj', '/CN=localhost'], { stdio: 'ignore' });
        env.PCHECK_DEMO_TLS_DIR = box.dir;
      }
      const pcheck = new Pcheck(copy, env);
      cleanups.push(() => pcheck.kill('SIGKILL'));
      await pcheck.waitFor(/\('pcheck-demo' ,pid=\d+\) Up/, 15_000);
      await eventually(
        async () => (new RegExp(`stall_chk \\(${kind}\\) {6}= AVAIL`).test((await padmin(copy, env, '-c', 'show', 'pent')).stdout) ? true : undefined),
        15_000,
        `stall_chk (${kind}) AVAIL`,
      );
      expect(started.mine(demoServer)).toHaveLength(1);
    });
  }
});

describe('the template directories', () => {
  it('each has a README.md and a row in the README\'s Templates table', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const dirs = readdirSync(join(ROOT, 'templates')).filter((name) => statSync(join(ROOT, 'templates', name)).isDirectory());
    expect(dirs.length).toBeGreaterThan(0);
    for (const dir of dirs) {
      expect({ dir, readme: existsSync(join(ROOT, 'templates', dir, 'README.md')) }).toEqual({ dir, readme: true });
      expect(readme).toContain(`| [templates/${dir}/](templates/${dir}) |`);
    }
  });
});
