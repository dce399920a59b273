// The man pages: built from docs/man/*.md by pandoc, rendered by man and groff without a warning,
// and complete: every option of pcheck and padmin, every padmin command, every pfile keyword.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../e2e/harness.js';

const PAGES = ['pcheck.8', 'padmin.8', 'pfile.5', 'pcheck-vendor-links.8'];
let out: string;

beforeAll(() => {
  out = mkdtempSync(join(tmpdir(), 'pcheck-man-'));
  execFileSync('sh', [join(ROOT, 'scripts/package/deb-man.sh'), out], { stdio: ['ignore', 'ignore', 'pipe'] });
});

afterAll(() => {
  rmSync(out, { recursive: true, force: true });
});

/** The page as man renders it for an 80-column terminal, with what man and groff said on stderr. */
function render(page: string): { text: string; warnings: string } {
  const result = spawnSync('man', ['--warnings', '-l', join(out, page)], {
    env: { ...process.env, MANWIDTH: '80', MAN_KEEP_FORMATTING: '', PAGER: 'cat', LC_ALL: 'C.UTF-8' },
    encoding: 'utf8',
  });
  expect(result.status, result.stderr).toBe(0);
  // the rendering carries overstrike for bold; the text is what a reader sees
  return { text: result.stdout.replace(/.\x08/g, ''), warnings: result.stderr };
}

/** The long options commander prints in `--help`. */
function longOptions(bin: string): string[] {
  const help = execFileSync(process.execPath, [join(ROOT, 'bin', bin), '--help'], { encoding: 'utf8' });
  return [...help.matchAll(/--[a-z][a-z-]*/g)].map((match) => match[0]);
}

function listIn(source: string, name: string): string[] {
  const body = new RegExp(`const ${name} = \\[([^\\]]*)\\]`).exec(source)?.[1];
  if (body === undefined) throw new Error(`no ${name} list in src/pfile/parse.ts`);
  return [...body.matchAll(/'([^']+)'/g)].map((match) => match[1] ?? '');
}

describe('man pages', () => {
  it('are generated for every docs/man source', () => {
    expect(readdirSync(out).sort()).toEqual([...PAGES].sort());
    expect(readdirSync(join(ROOT, 'docs/man')).sort()).toEqual(PAGES.map((page) => `${page}.md`).sort());
  });

  it.each(PAGES)('%s renders with man --warnings and groff -ww without a warning', (page) => {
    const { text, warnings } = render(page);
    expect(warnings).toBe('');
    expect(text).toMatch(/^NAME$/m);
    const groff = spawnSync('groff', ['-ww', '-z', '-t', '-man', join(out, page)], { encoding: 'utf8' });
    expect(groff.stderr).toBe('');
    expect(groff.status).toBe(0);
  });

  it('pcheck(8) names every option, exit status and signal', () => {
    const { text } = render('pcheck.8');
    for (const option of longOptions('pcheck.js')) expect(text).toContain(option);
    for (const status of ['0', '1', '2', '3', '70']) expect(text).toMatch(new RegExp(`^ {7}${status}\\s`, 'm'));
    for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGUSR1']) expect(text).toContain(signal);
    for (const file of ['/run/pcheck/', '/var/log/pcheck/', '/etc/pcheck/', 'pcheck@.service']) expect(text).toContain(file);
  });

  it('padmin(8) names every option, command and exit status', async () => {
    const { text } = render('padmin.8');
    for (const option of longOptions('padmin.js')) expect(text).toContain(option);
    const { COMMANDS } = (await import(join(ROOT, 'dist/control/protocol.js'))) as { COMMANDS: readonly string[] };
    for (const command of COMMANDS.filter((name) => name !== 'ping')) expect(text).toMatch(new RegExp(`^ {7}${command}(\\s|$)`, 'm'));
    for (const status of ['0', '1', '2', '3', '4']) expect(text).toMatch(new RegExp(`^ {7}${status}\\s`, 'm'));
  });

  it('pfile(5) names every global keyword and entry option the parser knows', () => {
    const { text } = render('pfile.5');
    const parser = readFileSync(join(ROOT, 'src/pfile/parse.ts'), 'utf8');
    const keywords = listIn(parser, 'GLOBALS');
    const options = listIn(parser, 'OPTIONS');
    expect(keywords.length).toBeGreaterThan(5);
    expect(options.length).toBeGreaterThan(5);
    for (const keyword of keywords) expect(text).toMatch(new RegExp(`^ {7}${keyword} `, 'm'));
    for (const option of options) expect(text).toMatch(new RegExp(`^ {7}${option}=`, 'm'));
    for (const block of ['_bi_webserv ', '_bi_webservs', '_bi_socket', 'PS_EXEC', 'PS_ACTION']) expect(text).toContain(block);
  });
});
