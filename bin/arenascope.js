#!/usr/bin/env node
// Thin launcher: the compiled CLI lives in dist/.
import { main } from '../dist/cli/main.js';

const code = await main(process.argv);
process.exitCode = code;
