#!/usr/bin/env node
// padmin, from dist/padmin.cjs: padmin and what it uses bundled into one file by `npm run build`
// (scripts/bundle.mjs), which starts faster than the ES modules in dist/cli/. A tree built by tsc
// alone has no bundle: padmin then runs from those modules.
let padmin;
try {
  padmin = require('../dist/padmin.cjs');
} catch (error) {
  if (error.code !== 'MODULE_NOT_FOUND' || !String(error.message).includes('padmin.cjs')) throw error;
}
if (padmin !== undefined) padmin.main(process.argv);
else import('../dist/cli/padmin.js').then((modules) => modules.main(process.argv));
