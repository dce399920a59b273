#!/usr/bin/env node
// npm run build, after tsc: padmin and everything it uses in one CommonJS file, dist/padmin.cjs,
// which bin/padmin.js loads. An operator runs padmin from scripts and at a terminal, and its start
// is most of what it costs: one file read and compiled at once, without the ES module loader, starts
// about 20 ms sooner than the same code as some thirty ES modules (bench/padmin.js, docs/decisions.md).
// The daemon stays as modules: it starts once, and the bundle of everything it may load lazily
// (alerts, metrics, TLS probes) held more memory than the modules it does load.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

await build({
  entryPoints: [join(root, 'src/cli/padmin.ts')],
  outfile: join(root, 'dist/padmin.cjs'),
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  minify: process.env.PCHECK_BUNDLE_PLAIN !== "1",
  // the version is written in, as in the single executable: the bundle has no package.json beside it;
  // import.meta.url (CommonJS has none) is the bundle's own
  banner: { js: 'const padminBundleUrl = require("node:url").pathToFileURL(__filename).href;' },
  define: { PCHECK_BUNDLED_VERSION: JSON.stringify(version), 'import.meta.url': 'padminBundleUrl' },
  sourcemap: 'linked',
  legalComments: 'none',
  logLevel: 'warning',
});
