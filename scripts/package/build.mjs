#!/usr/bin/env node
// npm run package: the single executable.
//   build/sea/pcheck.cjs    src/ bundled by esbuild (CommonJS: Node 20 runs a single executable's main as a script)
//   build/sea/pcheck.blob   node --experimental-sea-config sea-config.json
//   build/pcheck            a copy of this Node with the blob injected by postject
//   build/padmin            a link to pcheck: called by that name, it is padmin
// Needs no network; takes about half a minute (most of it postject rewriting the ~100 MB binary).
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { inject } from 'postject';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const config = JSON.parse(readFileSync(join(root, 'sea-config.json'), 'utf8'));
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const out = join(root, 'build');
const bundle = join(root, config.main);
const blob = join(root, config.output);
// the fuse Node's binary carries for postject to flip (Node's single-executable documentation)
const SENTINEL_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

const step = (what) => process.stderr.write(`package: ${what}\n`);

// The binary is a copy of this Node: one that takes libuv, OpenSSL, ICU... from the system (a
// distribution's nodejs) would need them on every target. nodejs.org's and NodeSource's builds link
// only libc, libstdc++ and libm.
const shared = Object.entries(process.config.variables)
  .filter(([key, value]) => /^node_shared(_|$)/.test(key) && value === true)
  .map(([key]) => key.replace(/^node_shared_?/, '') || 'libnode');
if (shared.length > 0) {
  process.stderr.write(
    `package: ${process.execPath} (Node ${process.version}) links ${shared.join(', ')} from the system: a copy of it would not run without them; build with Node 20 from nodejs.org or NodeSource\n`,
  );
  process.exit(1);
}
if (Number(process.versions.node.split('.')[0]) < 20) {
  process.stderr.write(`package: Node ${process.version} cannot build a single executable; use Node 20 or later\n`);
  process.exit(1);
}

step(`bundling src/ into ${config.main}`);
mkdirSync(dirname(bundle), { recursive: true });
await build({
  entryPoints: [join(root, 'scripts/package/sea-entry.js')],
  outfile: bundle,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  // ps-list finds its Windows helper beside its own file through import.meta.url, which CommonJS
  // lacks: the binary's own path stands in (read at import, used on Windows only)
  banner: { js: 'const pcheckBundleUrl = require("node:url").pathToFileURL(__filename).href;' },
  define: { PCHECK_SINGLE_EXECUTABLE: 'true', PCHECK_BUNDLED_VERSION: JSON.stringify(version), 'import.meta.url': 'pcheckBundleUrl' },
  legalComments: 'none',
  logLevel: 'warning',
});
// a single executable has no dynamic import (ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING at run time):
// esbuild turns import() of a bundled file into a require, but leaves one of a built-in module as is
const leftImports = readFileSync(bundle, 'utf8').match(/\bimport\(\s*["'][^"']+["']\s*\)/g);
if (leftImports !== null) {
  console.error(`build: the bundle still has ${leftImports.join(', ')}: import built-in modules statically`);
  process.exit(1);
}

step(`preparing ${config.output}`);
execFileSync(process.execPath, ['--experimental-sea-config', 'sea-config.json'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });

step(`injecting it into a copy of ${process.execPath}`);
const binary = join(out, 'pcheck');
const partial = `${binary}.partial`;
rmSync(partial, { force: true });
copyFileSync(process.execPath, partial);
chmodSync(partial, 0o755);
// postject's ELF library warns about every note section it cannot name (harmless): keep its chatter out
const warn = console.warn;
const log = console.log;
console.warn = console.log = () => {};
try {
  await inject(partial, 'NODE_SEA_BLOB', readFileSync(blob), { sentinelFuse: SENTINEL_FUSE });
} finally {
  console.warn = warn;
  console.log = log;
}
renameSync(partial, binary);
rmSync(join(out, 'padmin'), { force: true });
symlinkSync('pcheck', join(out, 'padmin'));

const said = execFileSync(binary, ['--version'], { encoding: 'utf8' }).trim();
if (said !== version) throw new Error(`build/pcheck --version printed "${said}", expected ${version}`);
step(`built build/pcheck (${version}) and build/padmin -> pcheck`);
