#!/usr/bin/env node
// namectl's executable: the CLI lives in src/cli/namectl.ts; this only hands it the process.
// The first Ctrl-C asks the running command to stop (watch ends cleanly); a second one kills.
import { main } from '../dist/cli/namectl.js';

const interrupt = new AbortController();
process.once('SIGINT', () => {
  interrupt.abort();
  process.once('SIGINT', () => process.exit(130));
});

process.exitCode = await main(process.argv.slice(2), {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  signal: interrupt.signal,
});
