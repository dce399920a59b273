// The Debian package, the tarball and the .rpm (npm run deb, from the single executable): built,
// checked by lintian and by their file lists. With PCHECK_TEST_INSTALL=1 (.ci/run sets it: never on a
// developer's machine otherwise) the .deb is installed on this machine with apt-get, run as systemd
// would run it on the demo pfile, and purged, leaving nothing it installed behind.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../../scripts/package/built.mjs';
import { eventually, freePort, isGone, ROOT, sandbox, type Sandbox } from '../e2e/harness.js';
import { lockDemoServer } from './demo-lock.js';

const INSTALL = process.env.PCHECK_TEST_INSTALL === '1';
const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const debVersion = /^pcheck \(([^)]+)\)/.exec(readFileSync(join(ROOT, 'packaging/debian/changelog'), 'utf8'))?.[1] ?? '';
const arch = spawnSync('dpkg', ['--print-architecture'], { encoding: 'utf8' }).stdout.trim();

let out: string;
let deb: string;
let extracted: string;
let debFiles: string[];

/** Runs a command to completion; throws with its output when it fails and `check` is set. */
function sh(command: string, args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string; check?: boolean } = {}) {
  const result = spawnSync(command, args, { env: options.env ?? process.env, cwd: options.cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if ((options.check ?? true) && result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} exited ${result.status}:\n${result.stdout}\n${result.stderr}`);
  }
  return result;
}

/** Paths in a tar listing (dpkg-deb -c, tar -tz), as absolute paths, directories without their slash. */
function tarPaths(listing: string): string[] {
  return listing
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => (line.includes(' ') ? (line.split(/\s+/).slice(5).join(' ').split(' -> ')[0] ?? '') : line))
    .map((path) => path.replace(/^\.\//, '/').replace(/\/$/, '') || '/')
    .filter((path) => path !== '/')
    .sort();
}

/** Pids of processes running the installed executable. */
function runningInstalled(): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((pid) => {
      try {
        return readlinkSync(`/proc/${pid}/exe`) === '/usr/sbin/pcheck';
      } catch {
        return false;
      }
    })
    .map(Number);
}

beforeAll(async () => {
  const built = (await ensureBuilt()) as string;
  out = mkdtempSync(join(tmpdir(), 'pcheck-deb-'));
  sh('sh', [join(ROOT, 'scripts/package/deb.sh'), built], { env: { ...process.env, PCHECK_PACKAGE_OUT: out } });
  deb = join(out, `pcheck_${debVersion}_${arch}.deb`);
  expect(existsSync(deb), `${deb} was not made; ${out} holds ${readdirSync(out).join(', ')}`).toBe(true);
  debFiles = tarPaths(sh('dpkg-deb', ['-c', deb]).stdout);
  extracted = join(out, 'extracted');
  sh('dpkg-deb', ['-R', deb, extracted]);
}, 1_800_000);

afterAll(() => {
  if (out !== undefined) rmSync(out, { recursive: true, force: true });
});

describe('the .deb', () => {
  it('is named pcheck_<version>_<arch>.deb, its version package.json\'s with a Debian revision', () => {
    expect(debVersion).toMatch(new RegExp(`^${version.replace(/\./g, '\\.')}-\\d+$`));
    const control = readFileSync(join(extracted, 'DEBIAN/control'), 'utf8');
    expect(control).toMatch(new RegExp(`^Version: ${debVersion}$`, 'm'));
    expect(control).toMatch(new RegExp(`^Architecture: ${arch}$`, 'm'));
    // the libraries the executable links against, found by dpkg-shlibdeps
    expect(control).toMatch(/^Depends: .*libc6 \(>= [\d.]+\)/m);
    expect(control).not.toMatch(/nodejs/);
  });

  it('lintian reports no error and no unexplained warning', () => {
    // lintian's own temporary files go in a directory of this test's
    const lintianTmp = join(out, 'lintian-tmp');
    mkdirSync(lintianTmp);
    const result = sh('lintian', ['--fail-on', 'error', deb], { env: { ...process.env, TMPDIR: lintianTmp }, check: false });
    const tags = result.stdout.split('\n').filter((line) => /^[EW]: /.test(line));
    expect(tags, result.stdout + result.stderr).toEqual([]);
    expect(result.status, result.stdout + result.stderr).toBe(0);
  }, 1_200_000);

  it('holds the binaries, units, templates, man pages, completion, example pfile and documentation', () => {
    for (const path of [
      '/usr/sbin/pcheck',
      '/usr/sbin/padmin',
      '/usr/sbin/pcheck-vendor-links',
      '/lib/systemd/system/pcheck@.service',
      '/lib/systemd/system/pcheck-autoreboot@.service',
      '/etc/logrotate.d/pcheck',
      '/etc/pcheck/example.pfile',
      '/usr/share/pcheck/templates/rc/pcheck',
      '/usr/share/pcheck/templates/demo/pfile.in',
      '/usr/share/pcheck/templates/autoreboot/autoreboot.sh',
      '/usr/share/man/man8/pcheck.8.gz',
      '/usr/share/man/man8/padmin.8.gz',
      '/usr/share/man/man8/pcheck-vendor-links.8.gz',
      '/usr/share/man/man5/pfile.5.gz',
      '/usr/share/bash-completion/completions/padmin',
      '/usr/share/bash-completion/completions/pcheck',
      '/usr/share/doc/pcheck/copyright',
      '/usr/share/doc/pcheck/changelog.Debian.gz',
    ]) {
      expect(debFiles).toContain(path);
    }
    // nothing in /opt (Debian policy): the vendor links are made on request, not shipped
    expect(debFiles.filter((path) => path.startsWith('/opt'))).toEqual([]);
    expect(readlinkSync(join(extracted, 'usr/sbin/padmin'))).toBe('pcheck');
    expect(readlinkSync(join(extracted, 'usr/share/bash-completion/completions/pcheck'))).toBe('padmin');
    expect(lstatSync(join(extracted, 'usr/sbin/pcheck')).mode & 0o777).toBe(0o755);
    expect(readFileSync(join(extracted, 'DEBIAN/conffiles'), 'utf8').trim().split('\n').sort()).toEqual(['/etc/logrotate.d/pcheck', '/etc/pcheck/example.pfile']);
    const listing = sh('dpkg-deb', ['-c', deb]).stdout;
    expect(listing.split('\n').filter((line) => line !== '' && !line.includes(' root/root '))).toEqual([]);
  });

  it('has units that run /usr/sbin/pcheck and the AutoReboot script where the package puts it', () => {
    const unit = readFileSync(join(extracted, 'lib/systemd/system/pcheck@.service'), 'utf8');
    expect(unit).toMatch(/^ExecStart=\/usr\/sbin\/pcheck -F -f \/etc\/pcheck\/%i\.pfile$/m);
    expect(unit).toMatch(/^ExecStartPre=\/usr\/sbin\/pcheck -t -f \/etc\/pcheck\/%i\.pfile$/m);
    expect(unit).toMatch(/^Documentation=man:pcheck\(8\)/m);
    const reboot = readFileSync(join(extracted, 'lib/systemd/system/pcheck-autoreboot@.service'), 'utf8');
    expect(reboot).toMatch(/^ExecStart=\/usr\/share\/pcheck\/templates\/autoreboot\/autoreboot\.sh$/m);
    for (const file of ['lib/systemd/system/pcheck@.service', 'lib/systemd/system/pcheck-autoreboot@.service', 'usr/share/pcheck/templates/rc/pcheck', 'usr/share/pcheck/templates/systemd/pcheck@.service']) {
      expect(readFileSync(join(extracted, file), 'utf8'), file).not.toContain('/usr/local');
    }
    expect(readFileSync(join(extracted, 'usr/share/pcheck/templates/rc/pcheck'), 'utf8')).toContain('PCHECK_BIN_DIR=${PCHECK_BIN_DIR:-/usr/sbin}');
    expect(lstatSync(join(extracted, 'usr/share/pcheck/templates/autoreboot/autoreboot.sh')).mode & 0o111).not.toBe(0);
  });

  it('compresses man pages and the changelog with gzip -9n (no name, no time stamp)', () => {
    for (const file of ['usr/share/man/man8/pcheck.8.gz', 'usr/share/man/man5/pfile.5.gz', 'usr/share/doc/pcheck/changelog.Debian.gz']) {
      const bytes = readFileSync(join(extracted, file));
      expect(bytes.readUInt32LE(4), `${file} mtime`).toBe(0);
      expect((bytes[3] ?? 0) & 0x08, `${file} FNAME`).toBe(0);
      expect(bytes[8], `${file} -9`).toBe(2);
    }
    expect(gunzipSync(readFileSync(join(extracted, 'usr/share/man/man8/pcheck.8.gz'))).toString()).toMatch(/^\.TH "PCHECK" "8"/m);
  });

  it('names the licences of Node.js and of every bundled npm module in its copyright file', () => {
    const copyright = readFileSync(join(extracted, 'usr/share/doc/pcheck/copyright'), 'utf8');
    expect(copyright).toMatch(/^Format: https:\/\/www\.debian\.org\/doc\/packaging-manuals\/copyright-format\/1\.0\/$/m);
    for (const module of ['commander', 'pino', 'prom-client', 'nodemailer']) expect(copyright).toMatch(new RegExp(`^ ${module} [\\d.]+: `, 'm'));
    expect(copyright).toContain(`Node.js ${process.version}`);
  });

  it('has maintainer scripts that never start, stop or restart a pcheck, and pass shellcheck', () => {
    const scripts = ['postinst', 'prerm', 'postrm'].map((name) => join(extracted, 'DEBIAN', name));
    for (const script of scripts) {
      // the commands, not what they say (comments, echo'd advice)
      const text = readFileSync(script, 'utf8')
        .split('\n')
        .filter((line) => !/^\s*(#|echo )/.test(line))
        .join('\n');
      expect(text, script).toContain('exit 0');
      expect(text, script).not.toMatch(/systemctl\s+(--\S+\s+)*(start|stop|restart|try-restart|enable|kill)\b/);
      expect(text, script).not.toMatch(/deb-systemd-invoke|invoke-rc\.d|\bkill\b|padmin|shutdown/);
    }
    const checked = sh('shellcheck', [...scripts, join(ROOT, 'packaging/pcheck-vendor-links'), ...readdirSync(join(ROOT, 'scripts/package')).filter((name) => name.endsWith('.sh')).map((name) => join(ROOT, 'scripts/package', name))], { check: false });
    expect(checked.stdout + checked.stderr).toBe('');
    const completion = sh('shellcheck', ['-s', 'bash', join(ROOT, 'packaging/completion/padmin')], { check: false });
    expect(completion.stdout + completion.stderr).toBe('');
  });
});

describe('the tarball and the .rpm', () => {
  it('the tarball holds the same tree, without the Debian control area', () => {
    const tarball = join(out, `pcheck-${version}-linux-${process.arch}.tar.gz`);
    const paths = tarPaths(sh('tar', ['-tzf', tarball]).stdout);
    expect(paths).toEqual(debFiles.filter((path) => !path.startsWith('/usr/share/lintian')));
    const verbose = sh('tar', ['-tvzf', tarball]).stdout;
    expect(verbose.split('\n').filter((line) => line !== '' && !line.includes(' 0/0 '))).toEqual([]);
  });

  it.runIf(existsSync('/usr/bin/rpmbuild'))('the .rpm holds the same files, units in /usr/lib/systemd, /etc files as configuration', () => {
    const rpm = join(out, `pcheck-${debVersion}.${sh('rpm', ['--eval', '%{_arch}']).stdout.trim()}.rpm`);
    const listed = sh('rpm', ['-qlp', rpm]).stdout.trim().split('\n').sort();
    const files = debFiles
      .filter((path) => !path.startsWith('/usr/share/lintian'))
      .filter((path) => !['/etc', '/lib', '/lib/systemd', '/lib/systemd/system', '/usr', '/usr/sbin', '/usr/share', '/usr/share/man', '/usr/share/man/man5', '/usr/share/man/man8', '/usr/share/doc', '/usr/share/bash-completion', '/usr/share/bash-completion/completions', '/etc/logrotate.d'].includes(path))
      .map((path) => path.replace(/^\/lib\/systemd\//, '/usr/lib/systemd/'))
      .sort();
    expect(listed).toEqual(files);
    expect(sh('rpm', ['-qcp', rpm]).stdout.trim().split('\n').sort()).toEqual(['/etc/logrotate.d/pcheck', '/etc/pcheck/example.pfile']);
    // its scriptlets make the directories and start nothing
    const scriptlets = sh('rpm', ['-qp', '--scripts', rpm]).stdout;
    expect(scriptlets).toMatch(/^postinstall scriptlet[^\n]*\n(.*\n)*install -d -m 0700 \/var\/spool\/pcheck$/m);
    expect(scriptlets).not.toMatch(/systemctl\s+(--\S+\s+)*(start|stop|restart|enable)\b/);
    const info = sh('rpm', ['-qip', rpm]).stdout;
    expect(info).toMatch(new RegExp(`^Version\\s*: ${version.replace(/\./g, '\\.')}$`, 'm'));
  });
});

describe('pcheck-vendor-links', () => {
  let box: Sandbox;
  beforeAll(() => {
    box = sandbox();
  });
  afterAll(() => box.cleanup());

  it('links pcheck and padmin into the vendor directory, and removes the links and the directories it made', () => {
    const vendor = join(box.dir, 'opt/HA/PS/bin');
    const env = { ...box.env, VENDOR_DIR: vendor, PCHECK_VENDOR_STATE: join(box.dir, 'state/vendor-links.dirs') };
    const tool = join(ROOT, 'packaging/pcheck-vendor-links');
    expect(sh('sh', [tool, 'status'], { env, check: false }).status).toBe(1);
    sh('sh', [tool, 'enable'], { env });
    expect(readlinkSync(join(vendor, 'pcheck'))).toBe('/usr/sbin/pcheck');
    expect(readlinkSync(join(vendor, 'padmin'))).toBe('/usr/sbin/padmin');
    expect(sh('sh', [tool, 'status'], { env }).stdout).toContain('enabled');
    sh('sh', [tool, 'enable'], { env });
    sh('sh', [tool, 'disable'], { env });
    expect(existsSync(join(box.dir, 'opt'))).toBe(false);
    // a file of the administrator's in the way is left alone
    mkdirSync(vendor, { recursive: true });
    writeFileSync(join(vendor, 'pcheck'), 'mine');
    const refused = sh('sh', [tool, 'enable'], { env, check: false });
    expect(refused.status).toBe(2);
    expect(refused.stderr).toContain(`${vendor}/pcheck exists and is not a link to /usr/sbin/pcheck`);
    sh('sh', [tool, 'disable'], { env });
    expect(readFileSync(join(vendor, 'pcheck'), 'utf8')).toBe('mine');
  });
});

describe.runIf(INSTALL)('installed with apt-get on this machine (PCHECK_TEST_INSTALL=1)', () => {
  const instance = `pcheck-package-test-${process.pid}`;
  const pfile = `/etc/pcheck/${instance}.pfile`;
  let box: Sandbox;
  let installedHere = false;
  let runDirBefore: boolean;
  const children: ChildProcess[] = [];
  const demoPids = new Set<number>();

  beforeAll(() => {
    box = sandbox();
    const already = sh('dpkg-query', ['-W', '-f', '${Status}', 'pcheck'], { check: false });
    if (already.stdout.includes('installed')) throw new Error('refusing to run: a pcheck package is already installed here (dpkg -l pcheck); this test installs and purges its own');
    for (const path of ['/usr/sbin/pcheck', '/opt/HA', '/etc/pcheck', '/var/lib/pcheck', '/var/spool/pcheck']) {
      if (existsSync(path)) throw new Error(`refusing to run: ${path} exists, and this test checks that purging the package removes it`);
    }
    runDirBefore = existsSync('/run/pcheck');
  });

  afterAll(() => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    for (const pid of demoPids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    rmSync(pfile, { force: true });
    // a failed test leaves nothing installed either
    if (installedHere && sh('dpkg-query', ['-W', '-f', '${Status}', 'pcheck'], { check: false }).stdout.includes('installed')) {
      sh('apt-get', ['purge', '-y', '-q', 'pcheck'], { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, check: false });
    }
    box?.cleanup();
  });

  it('installs, runs the unit\'s command line on the demo pfile, restarts the killed demo server, and purges without a trace', async () => {
    const install = sh('apt-get', ['install', '-y', '-q', `./${deb.split('/').pop() ?? ''}`], {
      cwd: out,
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive', PCHECK_VENDOR_LINKS: '1' },
      check: false,
    });
    installedHere = true;
    expect(install.status, install.stdout + install.stderr).toBe(0);
    // installing starts nothing
    expect(runningInstalled()).toEqual([]);

    expect(sh('/usr/sbin/pcheck', ['--version']).stdout.trim()).toBe(version);
    expect(sh('/opt/HA/PS/bin/padmin', ['--version']).stdout.trim()).toBe(version);
    const example = sh('/usr/sbin/pcheck', ['-t', '-f', '/etc/pcheck/example.pfile'], { check: false });
    expect(example.status, example.stderr).toBe(0);
    expect(example.stdout).toContain('/etc/pcheck/example.pfile: ok');
    const man = sh('man', ['--warnings', '-l', '/usr/share/man/man8/pcheck.8.gz'], { env: { ...process.env, MANWIDTH: '80', PAGER: 'cat' } });
    expect(man.stderr).toBe('');
    for (const dir of ['/var/log/pcheck', '/var/lib/pcheck', '/var/spool/pcheck']) expect(existsSync(dir), dir).toBe(true);

    // the unit's command lines, for the demo pfile installed as /etc/pcheck/<instance>.pfile
    const unit = readFileSync('/lib/systemd/system/pcheck@.service', 'utf8');
    const commandLine = (key: string): string[] => {
      const line = new RegExp(`^${key}=(.*)$`, 'm').exec(unit)?.[1];
      if (line === undefined) throw new Error(`no ${key}= in pcheck@.service`);
      return line.replaceAll('%i', instance).trim().split(/\s+/);
    };
    const demoDir = '/usr/share/pcheck/templates/demo';
    // the demo's own LogFile line dropped: the installed pcheck logs where a pfile in /etc/pcheck does by default
    const pfileText = readFileSync(join(demoDir, 'pfile.in'), 'utf8')
      .replaceAll('@DEMO_DIR@', demoDir)
      .replaceAll('@RUN_DIR@', box.dir)
      .replace(/^LogFile\s.*\n/m, '');
    writeFileSync(pfile, pfileText);
    const port = await freePort();
    // as systemd runs it: root, /run/pcheck, /var/log/pcheck; no syslog for this test's messages
    const env = {
      PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
      PCHECK_SYSLOG_SOCKET: join(box.dir, 'no-syslog.sock'),
      PCHECK_DEMO_PORT: String(port),
      PCHECK_DEMO_LOG: join(box.dir, 'demo-server.log'),
      TMPDIR: process.env.TMPDIR ?? '/tmp',
    };
    const logFile = `/var/log/pcheck/etc_pcheck_${instance}.pfile.log`;
    const [preCommand, ...preArgs] = commandLine('ExecStartPre');
    const pre = sh(preCommand ?? '', preArgs, { env, check: false });
    expect(pre.status, pre.stderr).toBe(0);

    const release = await lockDemoServer();
    try {
      const [command, ...args] = commandLine('ExecStart');
      const pcheck = spawn(command ?? '', args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
      children.push(pcheck);
      let output = '';
      pcheck.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      pcheck.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      const exited = new Promise<number | null>((resolveExit) => pcheck.on('exit', (status) => resolveExit(status)));
      const ups = (): number[] => [...output.matchAll(/\('pcheck-demo' ,pid=(\d+)\) Up/g)].map((match) => Number(match[1]));

      const first = await eventually(() => ups()[0], 30_000, `the demo server Up; pcheck said:\n${output}`);
      demoPids.add(first);
      const shown = sh('/usr/sbin/padmin', ['-f', pfile, '-c', 'show pent', '--json'], { env });
      expect((JSON.parse(shown.stdout) as { pid: number }[])[0]?.pid).toBe(first);

      process.kill(first, 'SIGKILL');
      await eventually(() => (new RegExp(`Process \\['pcheck-demo',pid=${first}\\] (Down|Zombie)`).test(output) ? true : undefined), 10_000, `Down; pcheck said:\n${output}`);
      const second = await eventually(() => ups()[1], 30_000, `the second Up; pcheck said:\n${output}`);
      demoPids.add(second);
      expect(second).not.toBe(first);
      expect(isGone(second)).toBe(false);
      expect(output).toContain("Try to restart ('pcheck-demo')");

      pcheck.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(readFileSync(logFile, 'utf8')).toContain('"msgId"');
      // pcheck never kills what it watches: the demo server outlives it, and the test ends it
      expect(isGone(second)).toBe(false);
      process.kill(second, 'SIGKILL');
      await eventually(() => (isGone(second) ? true : undefined), 5000, 'the demo server gone');
    } finally {
      release();
    }
    rmSync(pfile);

    // everything the package installed, then the purge
    const installed = sh('dpkg', ['-L', 'pcheck']).stdout.trim().split('\n');
    expect(installed).toContain('/usr/sbin/pcheck');
    const purge = sh('apt-get', ['purge', '-y', '-q', 'pcheck'], { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, check: false });
    expect(purge.status, purge.stdout + purge.stderr).toBe(0);
    expect(sh('dpkg-query', ['-W', '-f', '${Status}', 'pcheck'], { check: false }).stdout).not.toContain('installed');
    // what is left of the list: only directories other packages own too (/usr/sbin, /usr/share/man/man8 ...)
    const left = installed.filter((path) => path !== '/.' && existsSync(path) && !sh('dpkg-query', ['-S', path], { check: false }).stdout.trim());
    expect(left).toEqual([]);
    // (/lib is a link to usr/lib on a merged-/usr system: what it leads to is a directory)
    for (const path of installed) if (existsSync(path)) expect(statSync(path).isDirectory(), path).toBe(true);
    // and what the maintainer scripts and pcheck made: links, logs, spool, counters
    for (const path of ['/opt/HA', '/etc/pcheck', '/var/lib/pcheck', '/var/spool/pcheck']) expect(existsSync(path), path).toBe(false);
    // the demo's structured log went with /var/log/pcheck (other tests' pchecks may write there again)
    expect(existsSync(logFile)).toBe(false);
    if (!runDirBefore) expect(existsSync('/run/pcheck')).toBe(false);
  }, 600_000);
});
