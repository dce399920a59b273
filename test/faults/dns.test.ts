// Fault: a stall-probe host that does not resolve (issue 8 item 6). On the original code every probe
// failed, the stall was declared and a healthy server was SIGKILLed every retry-over period.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { logFilePath } from '../../src/control/paths.js';
import { eventually, isAlive, padmin, Pcheck, run, PCHECK, sandbox, sleep, watchedFixture, type Sandbox } from '../e2e/harness.js';

/** RFC 6761: names under .invalid never resolve. */
const HOST = 'no-such-host.invalid';
const INTERVAL_S = 1;
const RETRY_OVER_S = 2;

let box: Sandbox;
let pcheck: Pcheck | null = null;

afterEach(async () => {
  await pcheck?.stop();
  pcheck = null;
  box.cleanup();
});

/** The watched fixture with a `_bi_webserv` block probing HOST: interval 1 s, retry-over 2 s. */
function setup(): { pfile: string; fixture: string } {
  box = sandbox();
  const { pfile, fixture } = watchedFixture(box);
  const lib = '/opt/HA/PSWE/lib/lib_bi_webserv.so';
  writeFileSync(
    pfile,
    `${readFileSync(pfile, 'utf8')}_bi_webserv {\n    PS_EXEC DLL:${lib}:DIRECT:-:${INTERVAL_S}:0:3:${RETRY_OVER_S}:80:${HOST}\n}\n`,
  );
  return { pfile, fixture };
}

describe('fault: the probe host does not resolve', () => {
  it('pcheck -t warns with the block\'s file:line, the host and the error, and still accepts the pfile', async () => {
    const { pfile } = setup();
    const checked = await run(process.execPath, [PCHECK, '-t', '-f', pfile], box.env);
    expect(checked.status).toBe(0);
    expect(checked.stderr).toMatch(
      new RegExp(`^${pfile}:2: warning: _bi_webserv host "${HOST.replace(/\./g, '\\.')}" does not resolve \\((ENOTFOUND|EAI_AGAIN|EAI_FAIL|no answer within 1 s)\\)`, 'm'),
    );
    expect(checked.stdout).toContain(`${pfile}: ok, 1 entry`);
  });

  it('over several retry-over periods the healthy server is never killed; stall_chk is UNKNOWN and the log says why, once', async () => {
    const { pfile, fixture } = setup();
    pcheck = new Pcheck(pfile, box.env);
    const up = await pcheck.waitFor(/\) Up$/);
    const pid = Number(/pid=(\d+)\)/.exec(up)?.[1]);
    // four retry-over periods: the original code killed the fixture in each
    await sleep(4 * RETRY_OVER_S * 1000);
    expect(isAlive(pid)).toBe(true);
    expect(pcheck.lines.join('\n')).not.toMatch(/Stall:|Killed Process|Down$|Try to restart/);
    const cannotTell = pcheck.lines.filter((line) => line.includes('Stall probe cannot tell'));
    expect(cannotTell).toHaveLength(1);
    expect(cannotTell[0]).toMatch(
      new RegExp(`Stall probe cannot tell \\('${fixture}'\\) _bi_webserv ${HOST.replace(/\./g, '\\.')}:80: (ENOTFOUND|EAI_AGAIN|EAI_FAIL|name lookup not finished after 1000 ms); not counted toward a stall$`),
    );

    const shown = await padmin(pfile, box.env, '-c', 'show', 'pent', '--json');
    expect(shown.status).toBe(0);
    expect(JSON.parse(shown.stdout)).toMatchObject([{ pid, proc_sts: 'AVAIL', stall_chk: [{ kind: 'web', state: 'UNKNOWN' }] }]);

    // the structured log carries the same facts as fields
    const logFile = logFilePath('default', pfile, box.env) as string;
    const record = await eventually(() => {
      if (!existsSync(logFile)) return undefined;
      return readFileSync(logFile, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .find((entry) => entry.msgId === 'PC205');
    });
    expect(record).toMatchObject({ name: fixture, block: '_bi_webserv', host: HOST, port: 80, error: expect.any(String) });
  });
});
