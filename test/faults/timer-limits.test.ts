// Durations past Node's timer limit (2^31-1 ms): refused by -t with the limit named (Node would run
// them after 1 ms), and a daemon at the limit runs its restart script to the end.
import { afterEach, describe, expect, it } from 'vitest';
import { Pcheck, PCHECK, run, sandbox, startDetached, type Sandbox } from '../e2e/harness.js';

let box: Sandbox;
let pcheck: Pcheck | null = null;

afterEach(async () => {
  await pcheck?.stop();
  pcheck = null;
  box.cleanup();
});

describe('timer limits', () => {
  it.each([
    ['MonitorInterval 2200000', 'MonitorInterval 2200000\n', ''],
    ['script_timeout=2200000', '', ' script_timeout=2200000'],
    ['start_wait=2200000', '', ' start_wait=2200000'],
  ])('%s: pcheck -t refuses it and names the limit', async (_what, head, option) => {
    box = sandbox();
    const pfile = box.file('pfile', `${head}${box.fixture('testd')} ${box.script('r.sh', 'exit 0')}${option}\n`);
    const checked = await run(process.execPath, [PCHECK, '-t', '-f', pfile], box.env);
    expect(checked.status).toBe(2);
    expect(checked.stderr).toMatch(/at most 2147483 s \(about 24 days\)/);
    expect(checked.stderr).toContain('"2200000"');
  });

  it('script_timeout at the limit: a restart script that takes 2 s is not cut off', async () => {
    box = sandbox();
    const fixture = box.fixture('testd');
    const script = box.script('restart.sh', `sleep 2\nsetsid ${fixture} 1000 >/dev/null 2>&1 &`);
    const pfile = box.file('pfile', `MonitorInterval 2147483\n${fixture} ${script} - - - script_timeout=2147483 start_wait=2147483\n`);
    const first = startDetached(fixture);
    pcheck = new Pcheck(pfile, box.env);
    await pcheck.waitFor(new RegExp(`pid=${first}\\) Up$`));
    process.kill(first, 'SIGKILL');
    await pcheck.waitFor(/Try to restart/);
    await pcheck.waitForCount(/\) Up$/, 2, 15_000);
    expect(pcheck.lines.join('\n')).not.toMatch(/timed out|Restart script failed/);
  });
});
