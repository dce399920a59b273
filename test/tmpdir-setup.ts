// vitest globalSetup: the run gets a TMPDIR of its own, and the run fails if anything it started is
// left behind: a file in that TMPDIR, a process carrying it, or a name pcheck writes under /tmp itself.
import { chmodSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { processes } from './e2e/processes.js';

/** What code writes under /tmp without asking TMPDIR: the run directory of a non-root user without XDG_RUNTIME_DIR, the demo's defaults, a JVM's perf data. */
const FIXED_TMP_NAMES = /^(pcheck-\d+|pcheck-demo.*|hsperfdata_.*)$/;

const fixedNames = (): string[] => readdirSync('/tmp').filter((name) => FIXED_TMP_NAMES.test(name));

export function setup(): () => void {
  const runTmp = mkdtempSync(join(tmpdir(), 'pcheck-test-'));
  // tests that run something as another user (nobody, tomcat) chmod their sandbox inside it
  chmodSync(runTmp, 0o711);
  const fixedBefore = new Set(fixedNames());
  // the workers, and everything the tests start, inherit it: os.tmpdir() and mktemp honour it
  process.env.TMPDIR = runTmp;

  return () => {
    const problems: string[] = [];
    const marker = `TMPDIR=${runTmp}`;
    // vitest's own workers (children of this process) carry the marker too
    for (const info of processes()) {
      if (info.pid === process.pid || info.ppid === process.pid || !info.environ.includes(marker)) continue;
      problems.push(`process ${info.pid} still running (${info.argv.join(' ') || info.comm}): killed`);
      try {
        process.kill(info.pid, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }
    for (const name of readdirSync(runTmp)) problems.push(`${join(runTmp, name)} left behind`);
    for (const name of fixedNames()) if (!fixedBefore.has(name)) problems.push(`/tmp/${name} appeared during the run`);
    rmSync(runTmp, { recursive: true, force: true });
    if (problems.length === 0) return;
    // a failure here is the run's, not one test's: no test is left to fail, so the exit status says it
    console.error(`\nFAIL the tests left things behind (removed now; fix the test that made them):\n  ${problems.join('\n  ')}\n`);
    process.exitCode = 1;
  };
}
