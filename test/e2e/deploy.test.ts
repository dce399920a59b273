// What runs pcheck on a server: the rc script, the install script, the systemd units, AutoReboot.
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually, padmin, Pcheck, ROOT, run, sandbox, startDetached, watchedFixture, type Sandbox } from './harness.js';

let box: Sandbox;
const AUTOREBOOT = join(ROOT, 'templates/autoreboot/autoreboot.sh');
const RC = join(ROOT, 'templates/rc/pcheck');

afterEach(() => box.cleanup());

function shellScripts(): string[] {
  const scripts = [join(ROOT, 'scripts/install.sh'), RC];
  for (const dir of readdirSync(join(ROOT, 'templates'))) {
    for (const file of readdirSync(join(ROOT, 'templates', dir))) {
      const path = join(ROOT, 'templates', dir, file);
      if (file.endsWith('.sh') || file === 'run') scripts.push(path);
    }
  }
  return scripts;
}

/** A stub reboot command that records each call. */
function stubReboot() {
  const record = join(box.dir, 'reboots');
  const command = box.script('reboot-stub', `echo reboot >> ${record}`);
  return { command, count: () => (existsSync(record) ? readFileSync(record, 'utf8').trim().split('\n').length : 0) };
}

describe('templates/logrotate', () => {
  it('rotates the default structured log under a running pcheck, which goes on writing to it', async () => {
    if (!existsSync('/usr/sbin/logrotate')) throw new Error('logrotate is not installed: apt-get install -y logrotate (.ci/run does)');
    box = sandbox();
    const { pfile } = watchedFixture(box);
    const pcheck = new Pcheck(pfile, box.env);
    try {
      await pcheck.waitFor(/\) Up$/);
      const logDir = box.env.PCHECK_LOG_DIR as string;
      const logFile = join(logDir, readdirSync(logDir)[0] ?? 'none');
      await eventually(() => (readFileSync(logFile, 'utf8').includes('"msgId":"PC101"') ? true : undefined));
      const config = join(box.dir, 'logrotate.conf');
      writeFileSync(config, readFileSync(join(ROOT, 'templates/logrotate/pcheck'), 'utf8').replace('/var/log/pcheck/', `${logDir}/`), { mode: 0o644 });
      const rotated = await run('logrotate', ['-f', '-s', join(box.dir, 'logrotate.state'), config], box.env);
      expect(rotated.status, rotated.stderr).toBe(0);
      expect(readFileSync(`${logFile}.1`, 'utf8')).toContain('"msgId":"PC101"');
      expect(readFileSync(logFile, 'utf8')).toBe('');
      expect((await padmin(pfile, box.env, '-c', 'stop')).status).toBe(0);
      await eventually(() => (readFileSync(logFile, 'utf8').includes('"msgId":"PC110"') ? true : undefined));
      expect(readFileSync(logFile, 'utf8').startsWith('{')).toBe(true);
    } finally {
      pcheck.kill('SIGKILL');
      await pcheck.exited;
    }
  });
});

describe('shell scripts', () => {
  it('every shipped shell script passes shellcheck', async () => {
    box = sandbox();
    if (!existsSync('/usr/bin/shellcheck')) throw new Error('shellcheck is not installed: apt-get install -y shellcheck (.ci/run does)');
    const result = await run('shellcheck', shellScripts(), box.env);
    expect(result.stdout + result.stderr).toBe('');
    expect(result.status).toBe(0);
  });
});

describe('AutoReboot', () => {
  it('reboots until the threshold, then refuses and says why; reboots older than the window no longer count', async () => {
    box = sandbox();
    const reboot = stubReboot();
    const countFile = join(box.dir, 'autoreboot.count');
    const env = { ...box.env, AUTOREBOOT_NAME: 'web', AUTOREBOOT_COUNT_FILE: countFile, AUTOREBOOT_THRESHOLD: '2', AUTOREBOOT_WINDOW: '3600', PCHECK_REBOOT_COMMAND: reboot.command };
    const first = await run(AUTOREBOOT, [], env);
    expect(first.status).toBe(0);
    expect(first.stderr).toContain('rebooting: reboot 1 of 2 allowed in 3600 s');
    expect((await run(AUTOREBOOT, [], env)).status).toBe(0);
    expect(reboot.count()).toBe(2);
    const refused = await run(AUTOREBOOT, [], env);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain('not rebooting: 2 reboots in the last 3600 s reached the threshold 2');
    expect(reboot.count()).toBe(2);

    // both reboots were two hours ago: outside the window, the counter resets
    const twoHoursAgo = Math.floor(Date.now() / 1000) - 7200;
    writeFileSync(countFile, `${twoHoursAgo}\n${twoHoursAgo + 1}\n`);
    const again = await run(AUTOREBOOT, [], env);
    expect(again.status).toBe(0);
    expect(again.stderr).toContain('reboot 1 of 2');
    expect(reboot.count()).toBe(3);
    expect(readFileSync(countFile, 'utf8').trim().split('\n')).toHaveLength(1);
  });

  it('the whole chain: retry over with exit -> pcheck exits 3 -> AutoReboot reboots', async () => {
    box = sandbox();
    const reboot = stubReboot();
    const fixture = box.fixture('fragile');
    const script = box.script('restart.sh', 'exit 1');
    const pfile = box.file('pfile', `${fixture} ${script} 1 600 exit start_wait=1\n`);
    const victim = startDetached(fixture);
    const pcheck = new Pcheck(pfile, box.env);
    await pcheck.waitFor(/\) Up$/);
    process.kill(victim, 'SIGKILL');
    const status = await pcheck.exited;
    expect(status).toBe(3);
    // what systemd's OnFailure= (or an rc wrapper seeing status 3) runs
    const result = await run(AUTOREBOOT, [], { ...box.env, AUTOREBOOT_COUNT_FILE: join(box.dir, 'count'), PCHECK_REBOOT_COMMAND: reboot.command });
    expect(result.status).toBe(0);
    expect(reboot.count()).toBe(1);
  });
});

describe('the SysV rc script', () => {
  it('start, status, reload, stop, status', async () => {
    box = sandbox();
    const fixture = box.fixture('rcd');
    const script = box.script('restart.sh', `setsid ${fixture} 1000 >/dev/null 2>&1 &`);
    const pfile = box.file('pfile', `LogFile ${join(box.dir, 'pcheck.log')}\n${fixture} ${script}\n`);
    startDetached(fixture);
    // laid out as install.sh does: pcheck and padmin in one bin directory
    const binDir = join(box.dir, 'bin');
    mkdirSync(binDir);
    symlinkSync(join(ROOT, 'bin/pcheck.js'), join(binDir, 'pcheck'));
    symlinkSync(join(ROOT, 'bin/padmin.js'), join(binDir, 'padmin'));
    const env = { ...box.env, PFILE: pfile, PCHECK_BIN_DIR: binDir };
    const rc = (action: string) => run('sh', [RC, action], env);
    expect((await rc('status')).status).toBe(3);
    const started = await rc('start');
    expect(started.status).toBe(0);
    expect(started.stdout).toContain('monitoring');
    expect((await rc('start')).stdout).toContain('already running');
    const status = await rc('status');
    expect(status.status).toBe(0);
    expect(status.stdout).toContain('proc_sts             = AVAIL');
    expect((await rc('reload')).status).toBe(0);
    expect((await rc('stop')).status).toBe(0);
    expect((await rc('status')).status).toBe(3);
    expect((await padmin(pfile, env, '-c', 'show', 'pent')).status).toBe(3);
  });
});

describe('install.sh and the systemd units', () => {
  it('installs under a prefix, links the vendor paths, and the installed units pass systemd-analyze verify', async () => {
    box = sandbox();
    const prefix = join(box.dir, 'usr');
    const env = { ...box.env, VENDOR_DIR: join(box.dir, 'opt/HA/PS/bin'), SYSTEMD_DIR: join(box.dir, 'systemd') };
    const installed = await run('sh', [join(ROOT, 'scripts/install.sh'), '--prefix', prefix, '--vendor-paths', '--systemd'], env, 120_000);
    expect(installed.status).toBe(0);
    const pfile = join(ROOT, 'templates/samples/pfile_sample2');
    const checked = await run(join(prefix, 'bin/pcheck'), ['-t', '-f', pfile], env);
    expect(checked.status).toBe(0);
    expect(checked.stdout).toContain('ok, 1 entry');
    const vendorPadmin = await run(join(box.dir, 'opt/HA/PS/bin/padmin'), ['-f', pfile, '-c', 'show', 'pent'], env);
    expect(vendorPadmin.status).toBe(3);

    const unit = readFileSync(join(box.dir, 'systemd/pcheck@.service'), 'utf8');
    expect(unit).toContain(`ExecStart=${prefix}/bin/pcheck -F -f /etc/pcheck/%i.pfile`);
    expect(unit).toMatch(/^KillMode=process$/m);
    expect(unit).toMatch(/^RestartPreventExitStatus=3$/m);
    expect(unit).toMatch(/^OnFailure=pcheck-autoreboot@%i\.service$/m);
    if (!existsSync('/usr/bin/systemd-analyze')) throw new Error('systemd-analyze is not installed: apt-get install -y systemd');
    const verified = await run(
      'systemd-analyze',
      ['verify', '--man=no', join(box.dir, 'systemd/pcheck@web.service'), join(box.dir, 'systemd/pcheck-autoreboot@web.service')],
      { ...env, SYSTEMD_UNIT_PATH: `${join(box.dir, 'systemd')}:` },
    );
    expect(verified.stderr).toBe('');
    expect(verified.status).toBe(0);
  });
});
