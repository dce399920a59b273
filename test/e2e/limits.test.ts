// Resource limits against the real daemon and real processes: one that grows its memory past
// max_rss and one that spins a core past max_cpu (both restarted with reason limit), one spinning
// under limit_action log (logged only), and one whose short spikes never last the hold (nothing).
import { readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PentView } from '../../src/control/views.js';
import { eventually, isAlive, padmin, Pcheck, sandbox, sleep, startDetached, type Sandbox } from './harness.js';

let box: Sandbox;
let pcheck: Pcheck;
let pfile: string;
let hog: string;
let spinner: string;
let spiker: string;
let hotSpinner: string;
let hotReasons: string;
let reasons: string;
let spinnerPid: number;
let spikerPid: number;

/** node under a name only this test's pfile matches (a symlink: argv[0] is the name). */
function nodeAs(name: string): string {
  const path = join(box.dir, name);
  symlinkSync(process.execPath, path);
  return path;
}

// 4 MiB more every 100 ms, touched, up to 240 MiB
const GROW = "const b=[];setInterval(()=>{if(b.length<60)b.push(Buffer.alloc(4194304,1))},100)";
const CALM = 'setInterval(()=>{},1000)';
// busy 1 s in every 4 s
const SPIKE = 'const spin=()=>{const end=Date.now()+1000;while(Date.now()<end){}};spin();setInterval(spin,4000)';

beforeAll(async () => {
  box = sandbox();
  hog = nodeAs('memhogd');
  spinner = nodeAs('spind');
  spiker = nodeAs('spiked');
  hotSpinner = nodeAs('hotspind');
  hotReasons = join(box.dir, 'hot-reasons');
  reasons = join(box.dir, 'reasons');
  // the restarted hog stays calm: one limit restart to look at, not a loop
  const restartHog = box.script('restart-hog.sh', `echo "$PS_REASON $PS_RETRY_COUNT" >> ${reasons}\nsetsid ${hog} -e '${CALM}' >/dev/null 2>&1 &`);
  const never = box.script('never.sh', 'exit 0');
  const restartHot = box.script('restart-hot.sh', `echo "$PS_REASON $PS_RETRY_COUNT" >> ${hotReasons}\nsetsid ${hotSpinner} -e '${CALM}' >/dev/null 2>&1 &`);
  pfile = box.file(
    'pfile',
    [
      'UsageInterval 0.5',
      `${hog} ${restartHog} 5 - - start_wait=10 max_rss=120M limit_hold=1 limit_action=restart`,
      `${spinner} ${never} 5 - - max_cpu=25 limit_hold=2`,
      `${spiker} ${never} 5 - - max_cpu=25 limit_hold=3 limit_action=restart`,
      `${hotSpinner} ${restartHot} 5 - - start_wait=10 max_cpu=25 limit_hold=1 limit_action=restart`,
      '',
    ].join('\n'),
  );
  startDetached(hog, ['-e', GROW]);
  spinnerPid = startDetached(spinner, ['-e', 'for(;;){}']);
  spikerPid = startDetached(spiker, ['-e', SPIKE]);
  startDetached(hotSpinner, ['-e', 'for(;;){}']);
  pcheck = new Pcheck(pfile, box.env);
  await pcheck.waitForCount(/\) Up$/, 4, 15_000);
});

afterAll(async () => {
  await pcheck?.stop();
  box?.cleanup();
});

const views = async (): Promise<PentView[]> => JSON.parse((await padmin(pfile, box.env, '-c', 'show', 'pent', '--json')).stdout) as PentView[];

describe('resource limits', () => {
  it('a process growing past max_rss: breach logged, SIGTERM, restarted with PS_REASON=limit, counted as a retry', async () => {
    await pcheck.waitFor(new RegExp(`Resource limit breached \\('${hog}',pid=\\d+\\) rss=[0-9.]+M > max_rss=120M for 1s; action=restart`), 30_000);
    await pcheck.waitFor(new RegExp(`Restart for resource limit \\('${hog}',pid=\\d+\\): SIGTERM sent`), 10_000);
    await pcheck.waitFor(new RegExp(`Try to restart \\('${hog}'\\)`), 10_000);
    const restarted = await eventually(async () => {
      const view = (await views()).find((pent) => pent.pname === hog);
      return view?.proc_sts === 'AVAIL' && view.restart_count === 1 ? view : undefined;
    }, 30_000, 'the hog restarted and found again');
    expect(restarted.retry_count).toBe(1);
    expect(readFileSync(reasons, 'utf8')).toBe('limit 1\n');
  });

  it('a process spinning a core past max_cpu: breach logged, nothing signalled (limit_action log)', async () => {
    const line = await pcheck.waitFor(new RegExp(`Resource limit breached \\('${spinner}',pid=${spinnerPid}\\) cpu=[0-9.]+% > max_cpu=25% for 2s; action=log`), 30_000);
    expect(line).toBeTruthy();
    const view = (await views()).find((pent) => pent.pname === spinner);
    expect(view).toMatchObject({ pid: spinnerPid, proc_sts: 'AVAIL', restart_count: 0 });
    expect(view?.rss_bytes).toBeGreaterThan(1024 * 1024);
    expect(view?.cpu_percent).toEqual(expect.any(Number));
    expect(isAlive(spinnerPid)).toBe(true);
  });

  it('a process spinning a core past max_cpu with limit_action restart: restarted with PS_REASON=limit', async () => {
    await pcheck.waitFor(new RegExp(`Resource limit breached \\('${hotSpinner}',pid=\\d+\\) cpu=[0-9.]+% > max_cpu=25% for 1s; action=restart`), 30_000);
    await eventually(async () => {
      const view = (await views()).find((pent) => pent.pname === hotSpinner);
      return view?.proc_sts === 'AVAIL' && view.restart_count === 1 && view.retry_count === 1 ? view : undefined;
    }, 30_000, 'the spinner restarted and found again');
    expect(readFileSync(hotReasons, 'utf8')).toBe('limit 1\n');
  });

  it('short spikes shorter than the hold: nothing, even with limit_action restart', async () => {
    // three spikes of 1 s, each sampled over the limit (seen in show pent), none held for 3 s
    let highest = 0;
    const until = Date.now() + 13_000;
    while (Date.now() < until) {
      const cpu = (await views()).find((pent) => pent.pname === spiker)?.cpu_percent ?? 0;
      highest = Math.max(highest, cpu);
      await sleep(400);
    }
    expect(highest).toBeGreaterThan(25);
    expect(pcheck.lines.filter((text) => text.includes(`('${spiker}'`) && /Resource limit|Try to restart/.test(text))).toEqual([]);
    expect((await views()).find((pent) => pent.pname === spiker)).toMatchObject({ pid: spikerPid, proc_sts: 'AVAIL', restart_count: 0 });
    expect(isAlive(spikerPid)).toBe(true);
  });

  it('show rule gives the limits', async () => {
    const text = (await padmin(pfile, box.env, '-c', 'show', 'rule', '-p', '1')).stdout;
    expect(text).toContain(`max_rss              = ${120 * 1024 * 1024} bytes`);
    expect(text).toContain('limit_action         = restart');
  });
});
