// The quick-start demo and the vendor's three sample pfiles, run as a newcomer would run them.
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { lockDemoServer } from '../package/demo-lock.js';
import { eventually, freePort, padmin, Pcheck, ROOT, sandbox, type Sandbox } from './harness.js';
import { named, Started } from './processes.js';

let box: Sandbox;
let started: Started;
const cleanups: (() => void)[] = [];

/** The demo server, matched by name as the demo's pfile matches it (process.title = 'pcheck-demo'). */
const demoServer = named('pcheck-demo');

let releaseDemo: (() => void) | undefined;

// every test here runs a demo server: one at a time with the package test's (test/package/demo-lock.ts)
beforeEach(async () => {
  releaseDemo = await lockDemoServer();
}, 660_000);

afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
  started.kill(demoServer);
  box.cleanup();
  releaseDemo?.();
});

/**
 * A sandbox for a test whose pcheck watches `pcheck-demo` by name: it would adopt a demo server it did
 * not start (and the demo test kill -9 it), so refuse when one runs that this test did not start.
 */
function demoSandbox(): Sandbox {
  box = sandbox();
  started = new Started(box.dir);
  started.refuseOthers(
    "the demo's pfile watches every process named pcheck-demo, and this test kill -9s the one pcheck finds",
    demoServer,
    'Stop it (kill <pid>) or run the tests in a container.',
  );
  return box;
}

describe('the quick-start demo', () => {
  it('templates/demo/run: pcheck watches the demo server; kill -9 -> Down, Try to restart, Up', async () => {
    demoSandbox();
    const port = await freePort();
    const env = { ...box.env, PCHECK_DEMO_DIR: join(box.dir, 'demo'), PCHECK_DEMO_PORT: String(port), PCHECK_DEMO_LOG: join(box.dir, 'demo.log') };
    const demo = spawn('sh', [join(ROOT, 'templates/demo/run')], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    cleanups.push(() => demo.kill('SIGKILL'));
    let output = '';
    demo.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    demo.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const first = await eventually(() => /\('pcheck-demo' ,pid=(\d+)\) Up/.exec(output)?.[1], 15_000, 'the demo Up');
    expect(started.mine(demoServer).map((info) => info.pid)).toEqual([Number(first)]);
    process.kill(Number(first), 'SIGKILL');
    await eventually(() => (new RegExp(`Process \\['pcheck-demo',pid=${first}\\] (Down|Zombie)`).test(output) ? true : undefined), 5000, 'Down');
    await eventually(() => (output.includes("Try to restart ('pcheck-demo')") ? true : undefined), 5000, 'Try to restart');
    await eventually(() => ((output.match(/\('pcheck-demo' ,pid=\d+\) Up/g) ?? []).length >= 2 ? true : undefined), 15_000, 'the second Up');
    const shown = await padmin(join(box.dir, 'demo/pfile'), { ...env, PCHECK_RUN_DIR: join(box.dir, 'demo/run') }, '-c', 'show', 'pent');
    expect(shown.stdout).toContain('restart_count        = 1');
  });
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
