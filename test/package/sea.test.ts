// The single executable (npm run package) on a machine without Node: the binary copied away from the
// checkout, PATH with every `node` taken out. It checks a pfile, detaches (the daemon is the binary
// itself again), restarts a killed process through its script, logs through pino, answers padmin
// (the same binary by that name), delivers a test alert (the bundled alert code) and serves metrics.
// Building the binary takes about half a minute (under load, a minute or two); an up-to-date
// build/pcheck is reused.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, realpathSync, symlinkSync } from 'node:fs';
import { request } from 'node:http';
import { delimiter, join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { eventually, isGone, ROOT, run, sandbox, startDetached, type Sandbox } from '../e2e/harness.js';
import { ensureBuilt } from '../../scripts/package/built.mjs';

const NODE_NAMES = new Set(['node', 'nodejs', 'npm', 'npx', 'corepack']);
const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

let home: Sandbox;
let pcheck: string;
let padmin: string;
let env: NodeJS.ProcessEnv;
let box: Sandbox;
const daemons: number[] = [];

beforeAll(async () => {
  const built = (await ensureBuilt()) as string;
  home = sandbox();
  mkdirSync(join(home.dir, 'bin'));
  pcheck = join(home.dir, 'bin/pcheck');
  padmin = join(home.dir, 'bin/padmin');
  copyFileSync(built, pcheck);
  spawnSync('chmod', ['755', pcheck]);
  symlinkSync('pcheck', padmin);
  // PATH without Node: each directory holding a `node` is replaced by links to all it holds but Node
  const path = (process.env.PATH ?? '').split(delimiter).map((dir, index) => {
    if (!existsSync(join(dir, 'node'))) return dir;
    const farm = join(home.dir, `path-${index}`);
    mkdirSync(farm);
    for (const name of readdirSync(dir)) if (!NODE_NAMES.has(name)) symlinkSync(join(dir, name), join(farm, name));
    return farm;
  });
  env = { ...process.env, PATH: [join(home.dir, 'bin'), ...path].join(delimiter) };
  delete env.NODE_OPTIONS;
  expect(spawnSync('sh', ['-c', 'command -v node || command -v nodejs'], { env }).status).not.toBe(0);
}, 600_000);

afterAll(() => home?.cleanup());

afterEach(() => {
  for (const pid of daemons.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  box?.cleanup();
});

function get(socketPath: string): Promise<string> {
  return new Promise((resolveGet, reject) => {
    const asked = request({ socketPath, path: '/metrics' }, (answer) => {
      let body = '';
      answer.on('data', (chunk: Buffer) => (body += chunk.toString()));
      answer.on('end', () => resolveGet(body));
    });
    asked.on('error', reject);
    asked.end();
  });
}

describe('the single executable, with no Node on PATH', () => {
  it('prints its version under both names, and checks the demo pfile', async () => {
    expect((await run(pcheck, ['--version'], env)).stdout.trim()).toBe(version);
    expect((await run('padmin', ['--version'], env)).stdout.trim()).toBe(version);
    box = sandbox();
    const demo = join(ROOT, 'templates/demo');
    const text = readFileSync(join(demo, 'pfile.in'), 'utf8').replaceAll('@DEMO_DIR@', demo).replaceAll('@RUN_DIR@', box.dir);
    const pfile = box.file('demo.pfile', text);
    const checked = await run('pcheck', ['-t', '-f', pfile], env);
    expect(checked.stderr).toBe('');
    expect(checked.stdout).toBe(`${pfile}: ok, 1 entry\n`);
    expect(checked.status).toBe(0);
    const bad = box.file('bad.pfile', 'MonitorInterval -1\n');
    const refused = await run('pcheck', ['-t', '-f', bad], env);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toContain(`${bad}:1: error:`);
  });

  it('detaches, restarts a killed process, logs, alerts, serves metrics, and shuts down on padmin', async () => {
    box = sandbox();
    const sleeper = box.fixture('sleeperd');
    const seen = join(box.dir, 'script-env');
    const script = box.script('restart.sh', `env > ${seen}\nsetsid ${sleeper} 1000 >/dev/null 2>&1 &`);
    const phone = box.script('phone.sh', `cat > ${join(box.dir, 'alert')}-$$.json`);
    const alerts = box.file('alerts', `command phone {\n    path      ${phone}\n    timeout   10\n}\nfallback phone\n`);
    const alerted = () => readdirSync(box.dir).filter((name) => name.startsWith('alert-')).map((name) => readFileSync(join(box.dir, name), 'utf8'));
    const logFile = join(box.dir, 'pcheck.log');
    const metrics = join(box.dir, 'metrics.sock');
    const pfile = box.file(
      'pfile',
      `MonitorInterval 1\nLogFile ${logFile}\nAlertFile ${alerts}\nMetricsListen ${metrics}\n${sleeper} ${script} - - - start_wait=5\n`,
    );
    const first = startDetached(sleeper);
    // the caller's NODE_OPTIONS reaches restart scripts as it was; the daemon's own flag does not
    const runEnv = { ...box.env, PATH: env.PATH, NODE_OPTIONS: '--no-deprecation' };

    const started = await run('pcheck', ['-f', pfile], runEnv);
    expect(started.stderr).toBe('');
    expect(started.status).toBe(0);
    const daemon = Number(/monitoring .* \(pid (\d+)\)/.exec(started.stdout)?.[1]);
    daemons.push(daemon);
    // the detached daemon is this binary again, not `node script.js`
    expect(readlinkSync(`/proc/${daemon}/exe`)).toBe(realpathSync(pcheck));
    expect(readFileSync(`/proc/${daemon}/cmdline`, 'utf8').split('\0').slice(1, -1)).toEqual(['--daemon-child', '-f', pfile]);
    expect(readFileSync(`/proc/${daemon}/environ`, 'utf8').split('\0')).toContain('NODE_OPTIONS=--no-deprecation --max-semi-space-size=1');

    const shown = await run('padmin', ['-f', pfile, '-c', 'show', 'pent'], runEnv);
    expect(shown.status).toBe(0);
    expect(shown.stdout).toContain('proc_sts             = AVAIL');

    process.kill(first, 'SIGKILL');
    const restarted = await eventually(
      async () => {
        const answer = await run(padmin, ['-f', pfile, '-c', 'show', 'pent'], runEnv);
        return /restart_count\s+= 1\b/.test(answer.stdout) && /proc_sts\s+= AVAIL/.test(answer.stdout) ? answer.stdout : undefined;
      },
      20_000,
      'the restart in padmin -c show pent',
    );
    expect(restarted).toContain(`pname                = ${sleeper}`);
    const scriptEnv = readFileSync(seen, 'utf8').split('\n');
    expect(scriptEnv).toContain('NODE_OPTIONS=--no-deprecation');
    expect(scriptEnv.some((line) => line.startsWith('PCHECK_SAVED_NODE_OPTIONS='))).toBe(false);

    // pino wrote the structured log, the daemon's lines and padmin's
    const records = readFileSync(logFile, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { tag?: string; daemonPid?: number; command?: string });
    expect(records.filter((record) => record.tag === 'pcheck').length).toBeGreaterThan(1);
    expect(records.filter((record) => record.tag === 'pcheck').every((record) => record.daemonPid === daemon)).toBe(true);
    expect(records.some((record) => record.tag === 'padmin' && record.command === 'show pent')).toBe(true);

    // the alert code, loaded on demand, is in the bundle: the kill reached the command destination
    await eventually(() => (alerted().some((text) => text.includes(sleeper)) ? true : undefined), 10_000, 'the alert of the kill');
    const tested = await run('padmin', ['-f', pfile, '-c', 'test', 'alert'], runEnv);
    expect(tested.stdout).toMatch(/^phone \(command\): delivered in \d+\.\d s$/m);

    expect(await get(metrics)).toContain(`pcheck_entry_up{pent_id="1",pname="${sleeper}"} 1`);

    const shutdown = await run('padmin', ['-f', pfile, '-c', 'shutdown'], runEnv);
    expect(shutdown.status).toBe(0);
    await eventually(() => (isGone(daemon) ? true : undefined), 10_000, 'the daemon to end');
  }, 60_000);
});
