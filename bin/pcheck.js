#!/usr/bin/env node
import { main } from '../dist/cli/pcheck.js';

await main(process.argv);
