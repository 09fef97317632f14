/**
 * `namectl`, the operator's CLI for delegation tables: a superset of linkerd's namerctl
 * (shared/specs/namerd-api.md §6). For now it works on dtab files (`dtab fmt`, `dtab check`);
 * the commands that talk to namerd arrive with namerd. `main` takes its arguments and
 * streams as parameters so that tests run it in-process; bin/namectl.js passes the process's.
 */
import type { Options } from './args.js';
import { dtabCommand } from './dtab-commands.js';
import type { CliIo } from './io.js';
import { runCli } from './run.js';
import { UsageText } from './usage-text.js';
import { packageVersion } from './version.js';

export type { CliIo } from './io.js';

export const namectlHelp = new UsageText(
  'namectl',
  `namectl: the switchyard operator's CLI for delegation tables (dtabs).

Usage:
  namectl <command> [flags]

Available Commands:
  dtab        Work with dtab files: fmt, check

Flags:
  -h, --help      help for namectl
      --version   print namectl's version

Use "namectl <command> --help" for more information about a command.
`,
);

const options: Options = {
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
};

/** Runs namectl with `argv` (without node and the script); resolves to the exit code. */
export function main(argv: readonly string[], io: CliIo): Promise<number> {
  return runCli('namectl', io, async () => {
    const { values, command, rest } = namectlHelp.split(argv, options);
    if (values.help === true || command === 'help') return namectlHelp.print(io);
    if (values.version === true) {
      io.stdout.write(`namectl ${await packageVersion()}\n`);
      return 0;
    }
    switch (command) {
      case 'dtab':
        return dtabCommand(rest, io);
      case undefined:
        throw namectlHelp.error('missing command');
      default:
        throw namectlHelp.error(`unknown command "${command}" for "namectl"`);
    }
  });
}
