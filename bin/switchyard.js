#!/usr/bin/env node
// switchyard's executable: the CLI lives in src/cli/switchyard.ts; this only hands it the process.
import { main } from '../dist/cli/switchyard.js';

process.exitCode = await main(process.argv.slice(2), {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
});
