// A symbolic link planted where pcheck writes its dump's temporary file never redirects the write.
import { readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Pcheck, sandbox, watchedFixture, type Sandbox } from '../e2e/harness.js';

let box: Sandbox;
let pcheck: Pcheck | null = null;

afterEach(async () => {
  await pcheck?.stop();
  box.cleanup();
});

describe('DumpFileName in a directory others write to', () => {
  it('a link planted under the temporary name is not followed: the dump is written, the link target untouched', async () => {
    box = sandbox();
    const dump = join(box.dir, 'web.dump');
    const { pfile } = watchedFixture(box, `DumpFileName ${dump}\n`);
    pcheck = new Pcheck(pfile, box.env);
    await pcheck.waitFor(/\) Up$/);
    const victim = box.file('victim', 'precious\n');
    symlinkSync(victim, `${dump}.${pcheck.pid}.tmp`);
    pcheck.kill('SIGUSR1');
    await pcheck.waitFor(/State dump written\./);
    expect(readFileSync(victim, 'utf8')).toBe('precious\n');
    expect(JSON.parse(readFileSync(dump, 'utf8'))).toMatchObject({ pfile, entries: [{ proc_sts: 'AVAIL' }] });
  });
});
