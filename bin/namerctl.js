#!/usr/bin/env node
// The namerctl twin's executable: linkerd's namerctl, command for command (src/cli/namerctl.ts);
// this only hands it the process.
import { main } from '../dist/cli/namerctl.js';

process.exitCode = await main(process.argv.slice(2), {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
});
