/**
 * `namectl`, the operator's CLI for delegation tables: a superset of linkerd's namerctl
 * (docs/namerd-api.md#namectl-and-namerctl). It manages namerd's dtabs (list, get, create, update,
 * delete, history, rollback, diff, watch), explains delegation, and formats and checks dtab
 * files. Exit codes: 0 ok, 1 refused by namerd or invalid input, 2 usage or connection error.
 * `main` takes its arguments, streams, environment and interrupt signal as parameters so that
 * tests run it in-process; bin/namectl.js passes the process's.
 */
import type { Options } from './args.js';
import { delegateCommand } from './delegate-command.js';
import { namectlDialect } from './dialect.js';
import { dtabCommand } from './dtab-commands.js';
import type { CliIo } from './io.js';
import { NamectlExit, remoteFlags, remoteOptions } from './remote.js';
import { runCli } from './run.js';
import { UsageText } from './usage-text.js';
import { packageVersion } from './version.js';

export type { CliIo } from './io.js';

export const namectlHelp = new UsageText(
  'namectl',
  `namectl: the switchyard operator's CLI for delegation tables (dtabs).

Usage:
  namectl [flags] <command> [flags]

Available Commands:
  dtab        Manage namerd's dtabs (list, get, create, update, delete, history, rollback,
              diff, watch) and check dtab files (fmt, check)
  delegate    Explain how a path resolves through a namespace's dtab
  canary      Move a service to a canary step by step, judged from the routers' metrics

Flags:
      --base-url URL   namerd's address (default: $NAMECTL_BASE_URL, $NAMERCTL_BASE_URL,
                       the base-url of .namerctl.yaml, or http://127.0.0.1:4180)
      --config FILE    namerctl's config file (default: the nearest .namerctl.<ext> in this
                       directory or one above it)
      --token TOKEN    bearer token for writes (default: $NAMECTL_TOKEN)
  -h, --help           help for namectl
      --version        print namectl's version

Exit status: 0 ok, 1 refused by namerd or invalid input, 2 usage or connection error.

Use "namectl <command> --help" for more information about a command.
`,
);

const options: Options = {
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
  ...remoteOptions,
};

/** Runs namectl with `argv` (without node and the script); resolves to the exit code. */
export function main(argv: readonly string[], io: CliIo): Promise<number> {
  return runCli(
    'namectl',
    io,
    async () => {
      const { values, command, rest } = namectlHelp.split(argv, options);
      if (values.help === true || command === 'help') return namectlHelp.print(io);
      if (values.version === true) {
        io.stdout.write(`namectl ${await packageVersion()}\n`);
        return 0;
      }
      const outer = { remote: remoteFlags(values, { dialect: namectlDialect }), json: false };
      switch (command) {
        case 'dtab':
          return dtabCommand(rest, io, outer);
        case 'delegate':
          return delegateCommand(rest, io, outer);
        case 'canary':
          return (await import('./canary-command.js')).canaryCommand(rest, io, outer);
        case undefined:
          throw namectlHelp.error('missing command');
        default:
          throw namectlHelp.error(`unknown command "${command}" for "namectl"`);
      }
    },
    { usageExitCode: NamectlExit.usage },
  );
}
