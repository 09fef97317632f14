/**
 * `namectl dtab diff`: what changed between two stored versions of a namespace, or what an
 * update from a file would change, as a unified diff with one dentry per line in the pretty
 * form. Both sides are aligned to one width so that a longer prefix on one side does not show
 * every line as changed. Like diff(1): exit 0 when equal (printing nothing), 1 when different,
 * 2 on trouble (usage, connection, a namespace or version namerd does not have, a bad file).
 */
import { type Dtab, NameTree } from '../index.js';
import type { NamerdClient, StoredDtab } from '../namerd-protocol/client.js';
import { readDtabInput } from './dtab-input.js';
import { type CliIo, displayName, writeOut } from './io.js';
import {
  COMMON_FLAGS_HELP,
  describeVersion,
  NamectlExit,
  type OuterFlags,
  parseCommand,
  parseVersionRef,
  withNamerd,
} from './remote.js';
import { CommandFailure } from './run.js';
import { unifiedDiff } from './unified-diff.js';
import { UsageText } from './usage-text.js';

const diffHelp = new UsageText(
  'namectl dtab diff',
  `Show what changed in a namespace's dtab, as a unified diff with one dentry per line.

Usage:
  namectl dtab diff NS [--from V] [--to V]    two stored versions
  namectl dtab diff NS FILE|- [--from V]      the stored dtab against a file: what 'update' would change

--to defaults to the current version and --from to the version before --to (or, with FILE,
to the current version). V is a version number or an ETag.

Flags:
      --from V           the old side
      --to V             the new side (not with FILE)
  -U, --context N        lines of context (default 3)
${COMMON_FLAGS_HELP}

Exit status: 0 no differences, 1 differences, 2 trouble (usage, connection, a missing
namespace or version, a file that does not parse).
`,
);

interface Side {
  readonly label: string;
  readonly dtab: Dtab;
}

export async function diffCommand(args: readonly string[], io: CliIo, outer: OuterFlags): Promise<number> {
  const options = {
    from: { type: 'string' },
    to: { type: 'string' },
    context: { type: 'string', short: 'U' },
  } as const;
  const cmd = parseCommand(diffHelp, args, options, outer);
  if (cmd.help) return diffHelp.print(io);
  const [ns, file, extra] = cmd.positionals;
  if (ns === undefined) throw diffHelp.error('missing NS');
  if (extra !== undefined) throw diffHelp.error(`unexpected argument '${extra}'`);
  const from = versionOption(cmd.values.from, '--from');
  const to = versionOption(cmd.values.to, '--to');
  if (file !== undefined && to !== undefined)
    throw diffHelp.error('--to cannot be used with FILE: the file is the new side');
  const context = cmd.values.context === undefined ? 3 : Number(cmd.values.context);
  if (!Number.isInteger(context) || context < 0) throw diffHelp.error(`invalid --context '${cmd.values.context}'`);

  try {
    const input = file === undefined ? undefined : await readDtabInput(io, file);
    const [a, b] = await withNamerd(io, cmd.remote, async (client): Promise<[Side, Side]> => {
      if (input !== undefined) {
        return [stored(ns, await client.get(ns, from)), { label: displayName(file!), dtab: input.dtab }];
      }
      const newer = await client.get(ns, to);
      const older = await client.get(ns, from ?? (await previousVersion(client, ns, newer)));
      return [stored(ns, older), stored(ns, newer)];
    });
    const width = Math.max(0, ...[...a.dtab.dentries, ...b.dtab.dentries].map((d) => d.prefix.show().length));
    const text = unifiedDiff(lines(a.dtab, width), lines(b.dtab, width), { from: a.label, to: b.label }, context);
    writeOut(io, text);
    return text === '' ? NamectlExit.ok : NamectlExit.failure;
  } catch (error) {
    // diff(1) keeps 1 for "different"; every failure is trouble.
    if (error instanceof CommandFailure && error.exitCode === NamectlExit.failure) {
      throw new CommandFailure(error.message, 2, { cause: error, plain: error.plain });
    }
    throw error;
  }
}

function versionOption(value: unknown, flag: string): string | undefined {
  if (typeof value !== 'string') return undefined;
  if (parseVersionRef(value) === null)
    throw diffHelp.error(`invalid ${flag} '${value}': give a version number or an ETag`);
  return value;
}

function stored(ns: string, s: StoredDtab): Side {
  return { label: `${ns} ${describeVersion(s.version)}`, dtab: s.dtab };
}

/** The newest stored version before `newer` that holds a dtab (deletions have none). */
async function previousVersion(client: NamerdClient, ns: string, newer: StoredDtab): Promise<string> {
  const before = (await client.versions(ns)).find(
    (v) => v.deleted !== true && newer.number !== null && v.number < newer.number,
  );
  if (before === undefined) {
    throw new CommandFailure(
      `${ns} has no version before ${describeVersion(newer.version)} to compare with: give --from V or a FILE`,
      2,
    );
  }
  return String(before.number);
}

/** The pretty form (Dtab.showPretty), one dentry per line, with `=>` at a given column. */
function lines(dtab: Dtab, width: number): string[] {
  return dtab.dentries.map((d) => `${d.prefix.show().padEnd(width)}  => ${NameTree.show(d.dst)} ;`);
}
