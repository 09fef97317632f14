/**
 * The namerctl twin: linkerd's Go namerctl, command for command, so scripts written for it run
 * unchanged against switchyard (docs/namerd-api.md#namerctl-the-twin). Its commands are namectl's
 * (dtab-operations.ts) run with namerctl's dialect (dialect.ts): namerctl's output, its
 * last-write-wins update (an upsert), its unchecked input, its error messages on standard output
 * and exit status 255, its base URL from --base-url, NAMERCTL_BASE_URL or `.namerctl.<ext>`.
 * Arguments, help and usage errors follow the cobra and pflag versions namerctl was built with
 * (cobra-command.ts).
 */
import { Cobra, CobraError, type CommandSpec, type FlagValues } from './cobra-command.js';
import { namerctlDialect } from './dialect.js';
import { createDtab, deleteDtab, getDtab, listDtabs, updateDtab } from './dtab-operations.js';
import type { CliIo } from './io.js';
import type { RemoteFlags } from './remote.js';
import { CommandFailure } from './run.js';

const LONG = `namerd manages delegation tables for linkerd.

namerctl looks for a configuration file in the current working
directory or any of its parent directories. Configuration files are
named .namerctl.<ext> where <ext> is describes one of several formats
including yaml, json, toml, etc.  "base-url" is currently the only
supported configuration.  Furthermore, the base url may be specified
via the NAMERCTL_BASE_URL environment variable.

Find more information at https://linkerd.io`;

/** Runs namerctl with `argv` (without node and the script); resolves to the exit code. */
export function main(argv: readonly string[], io: CliIo): Promise<number> {
  const remote = (flags: FlagValues): RemoteFlags => {
    const baseUrl = flags.get('base-url') as string;
    const config = flags.get('config') as string;
    return {
      dialect: namerctlDialect,
      ...(baseUrl === '' ? {} : { baseUrl }),
      ...(config === '' ? {} : { config }),
    };
  };
  const json = (flags: FlagValues) => ({ json: flags.get('json') === true });
  /** namerctl checked the number of arguments itself, with its own words. */
  const exactly = (n: number, args: readonly string[], message: string) => {
    if (args.length !== n) throw new CobraError(message);
  };

  const dtab: CommandSpec = {
    use: 'dtab',
    short: "Control namerd's delegation tables",
    flags: [{ name: 'json', type: 'bool', usage: 'input/output in json instead of text', persistent: true }],
    commands: [
      {
        use: 'list',
        aliases: ['ls'],
        short: 'List delegation table names',
        run: failing(async (args, flags) => {
          exactly(0, args, 'list does not take arguments');
          await listDtabs(io, remote(flags), json(flags));
        }),
      },
      {
        use: 'get [name]',
        aliases: ['cat'],
        short: 'Get a delegation table by name',
        flags: [{ name: 'pretty', type: 'bool', usage: 'pretty-print dtabs', default: true, persistent: true }],
        run: failing(async (args, flags) => {
          exactly(1, args, 'get requires a name argument');
          await getDtab(io, remote(flags), args[0]!, { ...json(flags), pretty: flags.get('pretty') === true });
        }),
      },
      {
        use: 'create [name] [file]',
        aliases: ['new'],
        short: 'Create a new delegation table.',
        run: failing(async (args, flags) => {
          exactly(2, args, 'create requires a name and file path');
          await createDtab(io, remote(flags), args[0]!, args[1]!, json(flags));
        }),
      },
      {
        use: 'update [name] [file]',
        aliases: ['up'],
        short: 'Update a delegation table.',
        flags: [
          {
            name: 'version',
            type: 'string',
            usage: 'only perform update if the current version matches',
            persistent: true,
          },
        ],
        run: failing(async (args, flags) => {
          exactly(2, args, 'update requires a name and file path');
          const version = flags.get('version') as string;
          await updateDtab(
            io,
            remote(flags),
            args[0]!,
            args[1]!,
            { ...json(flags), ...(version === '' ? {} : { version }) },
            (message) => new CobraError(message),
          );
        }),
      },
      {
        use: 'delete [name]',
        aliases: ['del', 'rm'],
        short: 'Delete a delegation by name.',
        run: failing(async (args, flags) => {
          exactly(1, args, 'delete requires one argument');
          await deleteDtab(io, remote(flags), args[0]!, json(flags));
        }),
      },
    ],
  };
  const root: CommandSpec = {
    use: 'namerctl',
    short: 'namerctl is a command-line client for namerd',
    long: LONG,
    flags: [
      { name: 'config', type: 'string', usage: 'config file', persistent: true },
      {
        name: 'base-url',
        type: 'string',
        usage: 'namer location (e.g. http://namerd.example.com:4080)',
        persistent: true,
      },
    ],
    commands: [dtab],
  };
  return new Cobra(root).execute(argv, io);
}

/** A command's failure (a refusal, no connection, a bad file) is an error cobra reports. */
function failing(
  run: (args: readonly string[], flags: FlagValues) => Promise<void>,
): (args: readonly string[], flags: FlagValues) => Promise<void> {
  return async (args, flags) => {
    try {
      await run(args, flags);
    } catch (error) {
      if (error instanceof CommandFailure) throw new CobraError(error.message, { cause: error });
      throw error;
    }
  };
}
