#!/usr/bin/env node
// namectl's executable: the CLI lives in src/cli/namectl.ts; this only hands it the process.
import { main } from '../dist/cli/namectl.js';

process.exitCode = await main(process.argv.slice(2), {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
});
