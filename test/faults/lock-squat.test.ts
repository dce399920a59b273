// Abstract socket names can be bound by any local user: a lock name anyone could compute let another
// user squat it and keep root's pcheck from starting. The names are now keyed with a secret in the
// run directory (0700).
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { realPfile } from '../../src/control/paths.js';
import { padmin, PCHECK, run, sandbox, watchedFixture, type Sandbox } from '../e2e/harness.js';

let box: Sandbox;
let squatter: Server | null = null;

afterEach(async () => {
  await new Promise<void>((resolve) => (squatter === null ? resolve() : squatter.close(() => resolve())));
  squatter = null;
  box.cleanup();
});

describe('the lock cannot be squatted', () => {
  it('a process holding the name the lock used to have does not keep pcheck from starting', async () => {
    box = sandbox();
    const { pfile } = watchedFixture(box);
    // the name the lock had: computable by anyone from the pfile's path and pcheck's uid
    const hash = createHash('sha256').update(realPfile(pfile)).digest('hex').slice(0, 16);
    squatter = createServer((socket) => socket.end('1\n'));
    await new Promise<void>((resolve) => squatter?.listen(`\0pcheck-lock-${process.getuid?.() ?? 0}-${hash}`, resolve));

    const started = await run(process.execPath, [PCHECK, '-f', pfile], box.env);
    expect(started.stderr).not.toContain('already running');
    expect(started.status).toBe(0);
    const key = join(box.env.PCHECK_RUN_DIR ?? '', 'lock.key');
    expect(readFileSync(key, 'utf8')).toMatch(/^[0-9a-f]{32}\n$/);
    expect(statSync(key).mode & 0o777).toBe(0o600);
    // and the lock still works for pcheck's own user
    const second = await run(process.execPath, [PCHECK, '-f', pfile], box.env);
    expect(second.status).toBe(1);
    expect(second.stderr).toMatch(/another pcheck \(pid \d+\) is already running/);
    expect((await padmin(pfile, box.env, '-c', 'shutdown')).status).toBe(0);
  });
});
