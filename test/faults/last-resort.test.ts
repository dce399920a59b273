// The last resort: an error nothing caught is logged with its stack and ends the process with 70,
// never silently and never with 0.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Pcheck, ROOT, sandbox, watchedFixture, type Sandbox } from '../e2e/harness.js';

const lastResort = join(ROOT, 'dist/daemon/last-resort.js');

/** Runs a Node program that installs the last resort (hard exit after `hardExitMs`), then does `fault`. */
function crash(fault: string, onFatal = 'process.stdout.write(`fatal: ${description.split("\\n")[0]}\\n`)', hardExitMs = 300) {
  const program = `
    import { installLastResort } from ${JSON.stringify(lastResort)};
    installLastResort((description) => { ${onFatal}; }, { hardExitMs: ${hardExitMs} });
    setInterval(() => undefined, 1000); // the daemon's timers keep it alive
    ${fault}
  `;
  return spawnSync(process.execPath, ['--input-type=module', '-e', program], { encoding: 'utf8', timeout: 15_000 });
}

let box: Sandbox | null = null;
afterEach(() => {
  box?.cleanup();
  box = null;
});

describe('last resort', () => {
  it('an uncaught exception in a timer: logged with its message, exit 70 by the hard limit (5 s)', () => {
    const result = crash('setTimeout(() => { throw new TypeError("boom in a timer"); }, 10);', undefined, 5000);
    expect(result.stdout).toBe('fatal: TypeError: boom in a timer\n');
    expect(result.status).toBe(70);
  });

  it('an unhandled rejection: logged, exit 70', () => {
    const result = crash('Promise.reject(new Error("nobody awaited this"));');
    expect(result.stdout).toBe('fatal: Error: nobody awaited this\n');
    expect(result.status).toBe(70);
  });

  it('an unhandled error event (the spawn failure of old): logged, exit 70', () => {
    const result = crash('import("node:events").then(({ EventEmitter }) => new EventEmitter().emit("error", new Error("spawn EMFILE")));');
    expect(result.stdout).toBe('fatal: Error: spawn EMFILE\n');
    expect(result.status).toBe(70);
  });

  it('a handler that itself throws still ends the process with 70', () => {
    const result = crash('setTimeout(() => { throw new Error("first"); }, 10);', 'throw new Error("the log is broken too")');
    expect(result.status).toBe(70);
  });

  it('the real daemon: an error thrown in its event loop is logged (PC013, with the stack), pcheck stops in order and exits 70', async () => {
    box = sandbox();
    const { pfile } = watchedFixture(box);
    // a fault injected from outside the product: a preloaded module whose timer throws in pcheck's loop
    const fault = box.file('fault.mjs', 'setTimeout(() => { throw new RangeError("injected fault"); }, 1500);\n');
    const pcheck = new Pcheck(pfile, { ...box.env, NODE_OPTIONS: `--import=${fault}` });
    await pcheck.waitFor(/\) Up$/);
    expect(await pcheck.exited).toBe(70);
    const said = pcheck.lines.join('\n');
    expect(said).toMatch(/pcheck stop on an unexpected error\. status=70 RangeError: injected fault\n? +at /);
    expect(said).toMatch(/pcheck stop\. pfile='.*' reason=unexpected error \(PC013\) status=70/);
  });
});
