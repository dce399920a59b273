// bash completion of padmin and pcheck, driven as bash drives it: COMP_WORDS and COMP_CWORD set, the
// function `complete -p` names called, COMPREPLY read back; pent ids come from a real running pcheck.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PADMIN, PCHECK, Pcheck, ROOT, sandbox, startDetached, type Sandbox } from '../e2e/harness.js';

const COMPLETION = join(ROOT, 'packaging/completion/padmin');
let box: Sandbox | undefined;

afterEach(() => {
  box?.cleanup();
  box = undefined;
});

/**
 * What bash completes for `line` (the cursor at its end; a trailing blank starts a new word), in `cwd`,
 * with `bin` first on PATH: the completion function named by `complete -p <command>`, called as
 * bash calls it.
 */
function complete(line: string, options: { env?: NodeJS.ProcessEnv; cwd?: string; bin?: string } = {}): string[] {
  const script = `
    source "$COMPLETION"
    read -ra COMP_WORDS <<<"$LINE"
    [[ $LINE == *" " ]] && COMP_WORDS+=("")
    COMP_CWORD=$((\${#COMP_WORDS[@]} - 1))
    COMP_LINE=$LINE COMP_POINT=\${#LINE}
    spec=$(complete -p "\${COMP_WORDS[0]}") || exit 3
    function=\${spec#*-F }
    function=\${function%% *}
    "$function" "\${COMP_WORDS[0]}" "\${COMP_WORDS[COMP_CWORD]}" "\${COMP_WORDS[COMP_CWORD-1]}"
    printf '%s\\n' "\${COMPREPLY[@]}"
  `;
  const env = { ...(options.env ?? process.env), COMPLETION, LINE: line, PCHECK_COMPLETION_TIMEOUT: '30' };
  if (options.bin !== undefined) env.PATH = `${options.bin}:${env.PATH ?? ''}`;
  const result = spawnSync('bash', ['--norc', '--noprofile', '-c', script], { env, cwd: options.cwd, encoding: 'utf8' });
  expect(result.stderr).toBe('');
  expect(result.status).toBe(0);
  return result.stdout.split('\n').filter((word) => word !== '');
}

/** padmin and pcheck on PATH as the installed names: scripts that run this checkout's bin/*.js. */
function binDir(dir: string): string {
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  writeFileSync(join(bin, 'padmin'), `#!/bin/sh\nexec "${process.execPath}" "${PADMIN}" "$@"\n`, { mode: 0o755 });
  writeFileSync(join(bin, 'pcheck'), `#!/bin/sh\nexec "${process.execPath}" "${PCHECK}" "$@"\n`, { mode: 0o755 });
  return bin;
}

describe('bash completion', () => {
  it('registers _padmin for padmin and _pcheck for pcheck', () => {
    const result = spawnSync('bash', ['--norc', '-c', `source "${COMPLETION}"; complete -p padmin pcheck`], { encoding: 'utf8' });
    expect(result.stdout).toBe('complete -F _padmin padmin\ncomplete -F _pcheck pcheck\n');
  });

  it("completes padmin's options, its commands word by word, and pfile paths", () => {
    box = sandbox();
    expect(complete('padmin ')).toEqual(['-f', '--file', '-c', '--command', '-p', '--pent', '-d', '--dest', '--json', '-V', '--version', '-h', '--help']);
    expect(complete('padmin --')).toEqual(['--file', '--command', '--pent', '--dest', '--json', '--version', '--help']);
    expect(complete('padmin -f web.pfile -c ')).toEqual(['show', 'test', 'stop', 'start', 'reload', 'shutdown']);
    expect(complete('padmin -f web.pfile -c s')).toEqual(['show', 'stop', 'start', 'shutdown']);
    expect(complete('padmin -f web.pfile -c show ')).toEqual(['pent', 'rule', 'proc', 'alert']);
    expect(complete('padmin -f web.pfile -c show p')).toEqual(['pent', 'proc']);
    expect(complete('padmin -f web.pfile --command test ')).toEqual(['alert']);
    // a whole command: the options not given yet
    expect(complete('padmin -f web.pfile -c show pent ')).toEqual(['-p', '--pent', '-d', '--dest', '--json']);
    expect(complete('padmin -f web.pfile -c show pent --json -')).toEqual(['-p', '--pent', '-d', '--dest']);
    box.file('web.pfile', '');
    box.file('web.alerts', '');
    mkdirSync(join(box.dir, 'weblogic'));
    expect(complete('padmin -f we', { cwd: box.dir }).sort()).toEqual(['web.alerts', 'web.pfile', 'weblogic']);
    expect(complete('padmin --file web.p', { cwd: box.dir })).toEqual(['web.pfile']);
  });

  it("completes pcheck's options and pfile paths", () => {
    box = sandbox();
    expect(complete('pcheck ')).toEqual(['-f', '--file', '-t', '--test', '-F', '--foreground', '-V', '--version', '-h', '--help']);
    expect(complete('pcheck -t ')).toEqual(['-f', '--file']);
    box.file('db.pfile', '');
    expect(complete('pcheck -F -f d', { cwd: box.dir })).toEqual(['db.pfile']);
  });

  it('completes -p with the pent ids the running pcheck of the -f pfile has, and nothing without one', async () => {
    box = sandbox();
    const bin = binDir(box.dir);
    const fixture = box.fixture('complete-testd');
    const script = box.script('restart.sh', `setsid ${fixture} 1000 >/dev/null 2>&1 &`);
    const pfile = box.file('web.pfile', `${fixture} ${script} - - - start_wait=5\n${fixture} ${script} - - - args=one\n${fixture} ${script} - - - args=two\n`);
    startDetached(fixture);
    // no pcheck yet: nothing to offer, and no error on the terminal
    expect(complete(`padmin -f ${pfile} -p `, { env: box.env, bin })).toEqual([]);
    const pcheck = new Pcheck(pfile, box.env);
    try {
      await pcheck.waitFor(/pcheck start\./, 20_000);
      expect(complete(`padmin -f ${pfile} -c show pent -p `, { env: box.env, bin })).toEqual(['1', '2', '3']);
      expect(complete(`padmin -c stop --file ${pfile} --pent 2`, { env: box.env, bin })).toEqual(['2']);
      // the pfile named relatively, from where it is
      expect(complete('padmin -f web.pfile -p ', { env: box.env, bin, cwd: box.dir })).toEqual(['1', '2', '3']);
      // no alert destinations in this pfile
      expect(complete(`padmin -f ${pfile} -c test alert -d `, { env: box.env, bin })).toEqual([]);
    } finally {
      await pcheck.stop();
    }
  });

  it('completes -d with the alert destinations of the running pcheck', async () => {
    box = sandbox();
    const bin = binDir(box.dir);
    const fixture = box.fixture('complete-alertd');
    const script = box.script('restart.sh', `setsid ${fixture} 1000 >/dev/null 2>&1 &`);
    const sink = box.script('sink.sh', 'cat >/dev/null');
    const alerts = box.file('web.alerts', `command pager {\n    path ${sink}\n}\ncommand phone {\n    path ${sink}\n}\nfallback pager\n`);
    const pfile = box.file('web.pfile', `AlertFile ${alerts}\n${fixture} ${script} - - - start_wait=5\n`);
    startDetached(fixture);
    const pcheck = new Pcheck(pfile, box.env);
    try {
      await pcheck.waitFor(/pcheck start\./, 20_000);
      expect(complete(`padmin -f ${pfile} -c test alert -d `, { env: box.env, bin })).toEqual(['pager', 'phone']);
      expect(complete(`padmin -f ${pfile} -c test alert -d ph`, { env: box.env, bin })).toEqual(['phone']);
    } finally {
      await pcheck.stop();
    }
  });
});
