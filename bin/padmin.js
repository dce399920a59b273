#!/usr/bin/env node
import { main } from '../dist/cli/padmin.js';

await main(process.argv);
