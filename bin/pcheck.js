#!/usr/bin/env -S node --max-semi-space-size=1
// A 1 MB young generation keeps the daemon's RSS near 60 MB with 1000 entries (V8's default
// lets it grow past 100 MB) at no cost worth measuring: pcheck allocates little per check.
import { main } from '../dist/cli/pcheck.js';

await main(process.argv);
