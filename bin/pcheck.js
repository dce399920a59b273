#!/usr/bin/env -S node --max-semi-space-size=1 --optimize-for-size
// A 1 MB young generation keeps the daemon's RSS low with 1000 entries (V8's default lets it grow
// past 100 MB) at no cost worth measuring: pcheck allocates little per check. --optimize-for-size
// (smaller heap growth steps) takes about 6 MB more off at 1000 entries, at no CPU cost bench/idle-1000
// could see (docs/decisions.md). This file is CommonJS (bin/package.json) as bin/padmin.js must be.
import('../dist/cli/pcheck.js').then((modules) => modules.main(process.argv));
