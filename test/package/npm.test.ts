// npm pack from a clean tree (the files git tracks, no dist/) builds on prepack and yields a package
// that `npm install -g` turns into working pcheck and padmin. The tree links the checkout's
// node_modules in place of `npm ci`; the install takes its dependencies from npm's cache when it
// holds them (--prefer-offline), else from the registry. About half a minute.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, realpathSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { eventually, isGone, ROOT, run, sandbox, watchedFixture, type Sandbox } from '../e2e/harness.js';

const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

let home: Sandbox;
let prefix: string;
let installed: string;
let tarball: string;
let box: Sandbox;

function sh(command: string, args: string[], cwd: string): string {
  const done = spawnSync(command, args, { cwd, encoding: 'utf8', env: { ...process.env, npm_config_update_notifier: 'false' } });
  if (done.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (status ${done.status}):\n${done.stdout}\n${done.stderr}`);
  return done.stdout;
}

beforeAll(() => {
  home = sandbox();
  // a clean tree: what git tracks (and what it would add), as it is in the working tree
  const tree = join(home.dir, 'tree');
  const files = sh('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], ROOT).split('\0').filter(Boolean);
  for (const file of files) {
    if (!existsSync(join(ROOT, file))) continue; // deleted, not yet committed
    mkdirSync(dirname(join(tree, file)), { recursive: true });
    copyFileSync(join(ROOT, file), join(tree, file));
  }
  expect(existsSync(join(tree, 'dist'))).toBe(false);
  symlinkSync(join(ROOT, 'node_modules'), join(tree, 'node_modules'));
  const packs = join(home.dir, 'packs');
  mkdirSync(packs);
  const name = sh('npm', ['pack', '--pack-destination', packs, '--silent'], tree).trim().split('\n').pop() ?? '';
  tarball = join(packs, name);
  prefix = join(home.dir, 'prefix');
  sh('npm', ['install', '-g', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', tarball], home.dir);
  installed = join(prefix, 'lib/node_modules/pcheck');
}, 300_000);

afterAll(() => home?.cleanup());

afterEach(() => box?.cleanup());

describe('npm pack and npm install -g', () => {
  it('packs the built code, the templates and the docs, and no sources or tests', () => {
    expect(tarball).toMatch(new RegExp(`/pcheck-${version.replaceAll('.', '\\.')}\\.tgz$`));
    const listed = sh('tar', ['tzf', tarball], home.dir).split('\n');
    for (const file of ['bin/pcheck.js', 'bin/padmin.js', 'dist/cli/pcheck.js', 'dist/cli/padmin.js', 'dist/daemon/run.js', 'templates/demo/pfile.in', 'docs/deploy.md']) {
      expect(listed).toContain(`package/${file}`);
    }
    expect(listed.filter((file) => /^package\/(src|test|bench|scripts|node_modules)\//.test(file))).toEqual([]);
  });

  it('installs pcheck and padmin that check, start, answer and shut down', async () => {
    const pcheck = join(prefix, 'bin/pcheck');
    const padmin = join(prefix, 'bin/padmin');
    box = sandbox();
    expect((await run(pcheck, ['--version'], box.env)).stdout.trim()).toBe(version);
    expect((await run(padmin, ['--version'], box.env)).stdout.trim()).toBe(version);
    const demo = join(installed, 'templates/demo');
    const demoPfile = box.file('demo.pfile', readFileSync(join(demo, 'pfile.in'), 'utf8').replaceAll('@DEMO_DIR@', demo).replaceAll('@RUN_DIR@', box.dir));
    expect((await run(pcheck, ['-t', '-f', demoPfile], box.env)).stdout).toBe(`${demoPfile}: ok, 1 entry\n`);

    const { pfile } = watchedFixture(box);
    const started = await run(pcheck, ['-f', pfile], box.env);
    expect(started.stderr).toBe('');
    expect(started.status).toBe(0);
    const daemon = Number(/\(pid (\d+)\)/.exec(started.stdout)?.[1]);
    box.track(daemon);
    // the installed code runs, not the checkout's
    const argv = readFileSync(`/proc/${daemon}/cmdline`, 'utf8').split('\0');
    const script = argv[argv.indexOf('--daemon-child') - 1] ?? '';
    expect(realpathSync(script)).toBe(join(realpathSync(installed), 'bin/pcheck.js'));
    const shown = await run(padmin, ['-f', pfile, '-c', 'show', 'pent'], box.env);
    expect(shown.stdout).toContain('proc_sts             = AVAIL');
    expect((await run(padmin, ['-f', pfile, '-c', 'shutdown'], box.env)).status).toBe(0);
    await eventually(() => (isGone(daemon) ? true : undefined), 10_000, 'the daemon to end');
  }, 60_000);
});
