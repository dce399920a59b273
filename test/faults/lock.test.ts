// One pcheck per pfile, whatever the spelling: a symbolic link or a hard link to a running pcheck's
// pfile is refused, and a killed server is started once, not once per pcheck.
import { linkSync, readdirSync, readFileSync, readlinkSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logFilePath } from '../../src/control/paths.js';
import { padmin, PCHECK, Pcheck, run, sandbox, sleep, watchedFixture, type Sandbox } from '../e2e/harness.js';

let box: Sandbox;
let first: Pcheck;
let pfile: string;
let fixture: string;
let link: string;
let hard: string;
const others: Pcheck[] = [];

beforeAll(async () => {
  box = sandbox();
  ({ pfile, fixture } = watchedFixture(box));
  link = join(box.dir, 'link');
  symlinkSync(pfile, link);
  hard = join(box.dir, 'hard');
  linkSync(pfile, hard);
  first = new Pcheck(pfile, box.env);
  await first.waitFor(/\) Up$/, 20_000);
});

afterAll(async () => {
  for (const pcheck of [first, ...others]) await pcheck.stop();
  box.cleanup();
});

/** Starts a foreground pcheck on `path`; resolves with its exit status, or 'started' if it begins monitoring. */
async function secondPcheck(path: string): Promise<{ outcome: number | null | 'started'; output: string }> {
  const pcheck = new Pcheck(path, box.env);
  others.push(pcheck);
  const outcome = await Promise.race([pcheck.exited, pcheck.waitFor(/pcheck start\./, 20_000).then(() => 'started' as const)]);
  return { outcome, output: pcheck.lines.join('\n') };
}

/** Pids of the running copies of the fixture. */
function fixtureCopies(): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((pid) => {
      try {
        return readlinkSync(`/proc/${pid}/exe`) === fixture;
      } catch {
        return false;
      }
    })
    .map(Number);
}

describe('one pcheck per file', () => {
  it('padmin through a symbolic link reaches the pcheck started on the real path', async () => {
    const shown = await padmin(link, box.env, '-c', 'show', 'pent', '--json');
    expect(shown.status).toBe(0);
    expect(JSON.parse(shown.stdout)).toEqual([expect.objectContaining({ pname: fixture, proc_sts: 'AVAIL' })]);
  });

  it("padmin's Command execute. lands in the pcheck's own structured log, whatever spelling each was given", async () => {
    expect((await padmin(link, box.env, '-c', 'show', 'rule')).status).toBe(0);
    const log = logFilePath('default', pfile, box.env);
    expect(log).toBe(logFilePath('default', link, box.env));
    expect(readFileSync(log ?? '', 'utf8')).toMatch(/"msgId":"PA001","command":"show rule"/);
  });

  it('a second pcheck through a symbolic link is refused, naming the first', async () => {
    const second = await secondPcheck(link);
    expect(second.outcome).toBe(1);
    expect(second.output).toContain(`another pcheck (pid ${first.pid}) is already running`);
    const detached = await run(process.execPath, [PCHECK, '-f', link], box.env);
    expect(detached.status).toBe(1);
    expect(detached.stderr).toContain(`another pcheck (pid ${first.pid}) is already running`);
  });

  it('a second pcheck through a hard link is refused, naming the first', async () => {
    const second = await secondPcheck(hard);
    expect(second.outcome).toBe(1);
    expect(second.output).toContain(`another pcheck (pid ${first.pid}) is already running`);
  });

  it('kill -9 of the server starts exactly one new copy', async () => {
    const [running] = fixtureCopies();
    expect(running).toBeDefined();
    process.kill(running as number, 'SIGKILL');
    await first.waitForCount(/\) Up$/, 2, 20_000);
    // a second pcheck, had one started, would have run its script by now as well
    await sleep(3000);
    expect(fixtureCopies()).toHaveLength(1);
  });
});
