// One test at a time runs a demo server: the demo's pfile watches every process named pcheck-demo,
// so two tests running it side by side (vitest runs files in parallel) would adopt and kill each
// other's. A directory in the run's TMPDIR is the lock; it is gone when the run ends.
import { mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const LOCK = join(tmpdir(), 'pcheck-demo-server.lock');

/** Waits (up to `timeoutMs`) until no other test runs a demo server; returns the release. */
export async function lockDemoServer(timeoutMs = 600_000): Promise<() => void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      mkdirSync(LOCK);
      return () => rmSync(LOCK, { recursive: true, force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      if (Date.now() > deadline) throw new Error(`another test has held ${LOCK} for ${timeoutMs / 1000} s: remove it if no test runs`);
      await new Promise((resolveWait) => setTimeout(resolveWait, 200));
    }
  }
}
