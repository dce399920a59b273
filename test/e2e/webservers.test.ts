// The shipped templates against the real Debian apache2, nginx and tomcat10.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually, freePort, padmin, Pcheck, ROOT, sandbox, type Sandbox } from './harness.js';
import { commandLineContains, named, processes, signalTree, Started, type ProcessInfo } from './processes.js';

let box: Sandbox;
let pcheck: Pcheck | null = null;
const cleanups: (() => void)[] = [];

afterEach(async () => {
  await pcheck?.stop();
  pcheck = null;
  for (const cleanup of cleanups.splice(0)) cleanup();
  box.cleanup();
});


async function httpStatus(port: number): Promise<number | undefined> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/`, { method: 'HEAD', signal: AbortSignal.timeout(1000) });
    return response.status;
  } catch {
    return undefined;
  }
}

interface KillsByName {
  readonly script: string;
  readonly pkill: string;
  readonly match: (info: ProcessInfo) => boolean;
  readonly service: string;
}

/** What each template's restart script kills by name, as it should on a production machine. */
const APACHE2: KillsByName = { script: 'templates/apache/restart-debian.sh', pkill: 'pkill -x apache2', match: named('apache2'), service: 'apache2' };
const NGINX: KillsByName = { script: 'templates/nginx/restart.sh', pkill: 'pkill -x nginx', match: named('nginx'), service: 'nginx' };
const TOMCAT: KillsByName = {
  script: 'templates/tomcat/restart.sh',
  pkill: "pkill -f 'org\\.apache\\.catalina\\.startup\\.Bootstrap'",
  match: commandLineContains('org.apache.catalina.startup.Bootstrap'),
  service: 'tomcat10',
};

/**
 * Run before anything here makes pcheck run such a script: refuses, naming them, when processes it
 * would kill run that this test did not start. The script can then hit only the test's own.
 */
function guard(started: Started, kills: KillsByName): () => void {
  return () =>
    started.refuseOthers(`${kills.script} runs \`${kills.pkill}\``, kills.match, `Stop them (systemctl stop ${kills.service}) or run this test in a container.`);
}

/**
 * Copies a template directory and makes its stall block fast: interval 1 s, retry-over
 * `retryOver` s (3 by default), on `port`. `shipped` is the template's own timing, checked.
 */
function template(dir: string, pfileName: string, port: number, shipped = ':10:0:2:60:80', retryOver = 3): string {
  const copy = join(box.dir, dir);
  cpSync(join(ROOT, 'templates', dir), copy, { recursive: true });
  const pfile = join(copy, pfileName);
  const text = readFileSync(pfile, 'utf8');
  expect(text).toContain(`${shipped}\n`);
  writeFileSync(
    pfile,
    text.replace(shipped, `:1:0:2:${retryOver}:${port}`).replace(/^DumpFileName .*$/m, `DumpFileName ${join(box.dir, 'dump')}`),
  );
  return pfile;
}

async function show(pfile: string, env: NodeJS.ProcessEnv): Promise<Record<string, unknown>> {
  const result = await padmin(pfile, env, '-c', 'show', 'pent', '--json');
  expect(result.status).toBe(0);
  return (JSON.parse(result.stdout) as Record<string, unknown>[])[0] ?? {};
}

/**
 * The kill -9 and the stall scenario, shared by apache2, nginx and Tomcat. `stopAll` SIGSTOPs every
 * process of the server (default: the parent and its descendants); `refuse` runs before each step
 * that makes pcheck run the restart script.
 */
async function killAndStall(
  name: string,
  pfile: string,
  port: number,
  env: NodeJS.ProcessEnv,
  parentPid: () => number,
  refuse: () => void,
  stopAll: () => void = () => void signalTree(parentPid(), 'SIGSTOP'),
) {
  const first = parentPid();
  pcheck = new Pcheck(pfile, env);
  await pcheck.waitFor(new RegExp(`pid=${first}\\) Up`), 15_000);
  await eventually(async () => ((await show(pfile, env)).stall_chk as { state: string }[])[0]?.state === 'AVAIL' || undefined, 10_000, 'stall_chk AVAIL');
  expect(await show(pfile, env)).toMatchObject({ pid: first, proc_sts: 'AVAIL', restart_count: 0 });

  // kill -9 of the parent: restarted and serving again, and show pent says so
  refuse();
  process.kill(first, 'SIGKILL');
  await pcheck.waitFor(new RegExp(`pid=${first}\\] (Down|Zombie)`), 5000);
  await pcheck.waitForCount(/\) Up$/, 2, 30_000);
  const second = parentPid();
  expect(second).not.toBe(first);
  await eventually(async () => (await httpStatus(port)) === 200 || undefined, 10_000, `${name} serving again`);
  expect(await show(pfile, env)).toMatchObject({ pid: second, proc_sts: 'AVAIL', restart_count: 1, retry_count: 1 });

  // every process of the server stopped: the probe times out, stall, kill, restart
  refuse();
  stopAll();
  await pcheck.waitFor(new RegExp(`Find Web Server Stall: pid = ${second} : port = ${port}$`), 30_000);
  await pcheck.waitFor(new RegExp(`Killed Process: pid= ${second}$`));
  await eventually(async () => (await show(pfile, env)).restart_count === 2 || undefined, 10_000, 'the stall restart counted');
  await pcheck.waitForCount(/\) Up$/, 3, 30_000);
  await eventually(async () => (await httpStatus(port)) === 200 || undefined, 10_000, `${name} serving after the stall`);
  await eventually(async () => ((await show(pfile, env)).stall_chk as { state: string }[])[0]?.state === 'AVAIL' || undefined, 10_000, 'stall_chk AVAIL again');
  expect(await show(pfile, env)).toMatchObject({ pid: parentPid(), proc_sts: 'AVAIL', restart_count: 2 });
}

describe('Debian apache2 with templates/apache/pfile.debian', () => {
  it('kill -9 of the parent -> restarted and serving; all processes stopped -> stall, killed, restarted', async () => {
    if (!existsSync('/usr/sbin/apache2ctl')) throw new Error('apache2 is not installed: apt-get install -y apache2 (.ci/run does)');
    box = sandbox();
    // apache2 keeps its environment: the sandbox's PCHECK_RUN_DIR marks every apache2 started here
    const started = new Started(box.dir);
    const refuse = guard(started, APACHE2);
    refuse();
    const pidfile = '/var/run/apache2/apache2.pid';
    cleanups.push(() => {
      const killed = started.kill(APACHE2.match);
      if (existsSync(pidfile) && killed.includes(Number(readFileSync(pidfile, 'utf8')))) rmSync(pidfile);
    });
    const pfile = template('apache', 'pfile.debian', 80);
    execFileSync(join(box.dir, 'apache/restart-debian.sh'), { env: box.env, stdio: 'ignore' });
    const parentPid = () => Number(readFileSync(pidfile, 'utf8'));
    await eventually(async () => (await httpStatus(80)) === 200 || undefined, 10_000, 'apache2 serving');
    await killAndStall('apache2', pfile, 80, box.env, parentPid, refuse);
  });
});

describe('Debian nginx with templates/nginx/pfile', () => {
  it('kill -9 of the master -> restarted and serving; all processes stopped -> stall, killed, restarted', async () => {
    if (!existsSync('/usr/sbin/nginx')) throw new Error('nginx is not installed: apt-get install -y nginx (.ci/run does)');
    box = sandbox();
    // nginx overwrites its environment with its title: the master is the test's by its title (-c
    // <sandbox>/nginx.conf), its workers as its children, or by its session once the master is killed
    const started = new Started(box.dir);
    const refuse = guard(started, NGINX);
    refuse();
    const port = await freePort();
    const conf = box.file(
      'nginx.conf',
      `pid ${box.dir}/nginx.pid;\nerror_log ${box.dir}/error.log;\nevents {}\nhttp {\n  access_log off;\n  server {\n    listen 127.0.0.1:${port};\n    location / { return 200 "ok\\n"; }\n  }\n}\n`,
    );
    const parentPid = () => {
      const pid = Number(readFileSync(join(box.dir, 'nginx.pid'), 'utf8'));
      started.adopt(pid);
      return pid;
    };
    cleanups.push(() => {
      if (existsSync(join(box.dir, 'nginx.pid'))) parentPid();
      started.kill(NGINX.match);
    });
    const env = { ...box.env, NGINX_CONF: conf };
    const pfile = template('nginx', 'pfile', port);
    execFileSync(join(box.dir, 'nginx/restart.sh'), { env, stdio: 'ignore' });
    await eventually(async () => (await httpStatus(port)) === 200 || undefined, 10_000, 'nginx serving');
    await killAndStall('nginx', pfile, port, env, parentPid, refuse);
  });
});

/** The pids of the Tomcat JVMs running with `base` as CATALINA_BASE. */
const tomcatsOf = (base: string): number[] => processes().filter(commandLineContains(`-Dcatalina.base=${base} `)).map((info) => info.pid);

describe('Debian tomcat10 with templates/tomcat/pfile', () => {
  it('matches the JVM by args=Bootstrap, not another java; kill -9 -> restarted and serving; SIGSTOP -> stall, killed, restarted', async () => {
    const home = '/usr/share/tomcat10';
    if (!existsSync(join(home, 'bin/startup.sh'))) throw new Error('tomcat10 is not installed: apt-get install -y tomcat10 (.ci/run does)');
    box = sandbox();
    const refuse = guard(new Started(box.dir), TOMCAT);
    refuse();
    const port = await freePort();
    // a CATALINA_BASE of the test's own: Debian's configuration, our port, no shutdown port
    const base = join(box.dir, 'catalina-base');
    for (const sub of ['logs', 'temp', 'work', 'webapps']) execFileSync('mkdir', ['-p', join(base, sub)]);
    cpSync('/etc/tomcat10', join(base, 'conf'), { recursive: true });
    cpSync('/var/lib/tomcat10/webapps/ROOT', join(base, 'webapps/ROOT'), { recursive: true });
    const serverXml = join(base, 'conf/server.xml');
    writeFileSync(serverXml, readFileSync(serverXml, 'utf8').replace('port="8080"', `port="${port}"`).replace('port="8005"', 'port="-1"'));
    // another JVM on the host that must not be taken for Tomcat
    const java = box.fixture('java');
    execFileSync('cp', ['/bin/sh', java]);
    execFileSync('sh', ['-c', `setsid ${java} -c 'sleep 1000' com.example.Other >/dev/null 2>&1 </dev/null &`], { env: box.env });
    // the JVM answers HEAD only once Tomcat has started: give the stall check 10 s of silence
    const pfile = template('tomcat', 'pfile', port, ':30:0:2:300:8080', 10);
    // Tomcat runs as Debian's tomcat user, as in production; the restart script starts it with su
    execFileSync('chmod', ['755', box.dir]);
    execFileSync('chown', ['-R', 'tomcat:tomcat', base]);
    // no perf data: the JVM would leave /tmp/hsperfdata_tomcat behind
    const env = { ...box.env, CATALINA_HOME: home, CATALINA_BASE: base, TOMCAT_USER: 'tomcat', CATALINA_OPTS: '-XX:-UsePerfData' };
    execFileSync('su', ['-s', '/bin/sh', '-c', join(home, 'bin/startup.sh'), 'tomcat'], { env, stdio: 'ignore' });
    const parentPid = () => {
      const pids = tomcatsOf(base);
      expect(pids).toHaveLength(1);
      return pids[0] ?? -1;
    };
    await eventually(async () => (await httpStatus(port)) === 200 || undefined, 30_000, 'Tomcat serving');
    expect(readFileSync(`/proc/${parentPid()}/cmdline`, 'utf8')).toContain('org.apache.catalina.startup.Bootstrap');
    const tomcatUid = Number(execFileSync('id', ['-u', 'tomcat'], { encoding: 'utf8' }));
    expect(statSync(`/proc/${parentPid()}`).uid).toBe(tomcatUid);
    await killAndStall('java', pfile, port, env, parentPid, refuse, () => process.kill(parentPid(), 'SIGSTOP'));
    expect(statSync(`/proc/${parentPid()}`).uid).toBe(tomcatUid);
  });
});

describe('Tomcat with templates/tomcat/pfile and a Java-like fixture (no JVM needed)', () => {
  it('matches java by args=Bootstrap, not another java, and restarts it through CATALINA_HOME/bin/startup.sh', async () => {
    box = sandbox();
    // pcheck runs the template's restart.sh, which kills every Tomcat on the machine
    guard(new Started(box.dir), TOMCAT)();
    const java = box.fixture('java');
    execFileSync('cp', ['/bin/sh', java]);
    const home = join(box.dir, 'tomcat-home');
    execFileSync('mkdir', ['-p', join(home, 'bin')]);
    const startup = join(home, 'bin/startup.sh');
    writeFileSync(startup, `#!/bin/sh\nsetsid ${java} -c 'sleep 1000' org.apache.catalina.startup.Bootstrap start >/dev/null 2>&1 </dev/null &\n`, { mode: 0o755 });
    // another JVM on the host that must not be taken for Tomcat
    execFileSync('sh', ['-c', `setsid ${java} -c 'sleep 1000' com.example.Other >/dev/null 2>&1 </dev/null &`], { env: box.env });
    const copy = join(box.dir, 'tomcat');
    cpSync(join(ROOT, 'templates/tomcat'), copy, { recursive: true });
    const pfile = join(copy, 'pfile');
    // the fixture answers no HTTP: keep the entry, drop the stall block
    writeFileSync(pfile, readFileSync(pfile, 'utf8').replace(/_bi_webserv \{[\s\S]*?\}\n/, '').replace(/^DumpFileName .*$/m, ''));
    const env = { ...box.env, CATALINA_HOME: home };
    execFileSync(startup, { env });
    pcheck = new Pcheck(pfile, env);
    const up = await pcheck.waitFor(/\('java' ,pid=(\d+)\) Up/, 10_000);
    const first = Number(/pid=(\d+)/.exec(up)?.[1]);
    expect(readFileSync(`/proc/${first}/cmdline`, 'utf8')).toContain('org.apache.catalina.startup.Bootstrap');
    process.kill(first, 'SIGKILL');
    await pcheck.waitFor(/restart tomcat: reason=(down|zombie)/, 10_000);
    await pcheck.waitForCount(/\('java' ,pid=\d+\) Up/, 2, 15_000);
    const second = Number(/pid=(\d+)/.exec(pcheck.lines.filter((line) => /\('java' ,pid=\d+\) Up/.test(line))[1] ?? '')?.[1]);
    expect(readFileSync(`/proc/${second}/cmdline`, 'utf8')).toContain('org.apache.catalina.startup.Bootstrap');
  });
});
