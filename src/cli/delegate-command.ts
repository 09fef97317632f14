/**
 * `namectl delegate NS PATH`: asks namerd how PATH resolves through the namespace's dtab (with
 * `--dtab` appended, so it wins, as a request's l5d-dtab header would) and prints the
 * explanation as an indented tree; `--json` prints linkerd's delegate JSON unchanged. The path
 * and the extra dtab are checked here first, so a typo is reported with its position.
 */
import { DtabSyntaxError, Path } from '../index.js';
import { delegateTreeText } from './delegate-tree-text.js';
import { describeSyntaxError } from './dtab-format.js';
import { parseDtabText } from './dtab-input.js';
import { type CliIo, writeOut } from './io.js';
import {
  COMMON_FLAGS_HELP,
  expectArgs,
  NamectlExit,
  type OuterFlags,
  parseCommand,
  withNamerd,
  writeJson,
} from './remote.js';
import { CommandFailure } from './run.js';
import { UsageText } from './usage-text.js';

export const delegateHelp = new UsageText(
  'namectl delegate',
  `Explain how PATH resolves through namespace NS's dtab: every rewrite step with the dentry
that made it, alternatives in the order they are tried, union branches with their weights, and
what each leaf binds to (addresses, neg, fail, or an error).

Usage:
  namectl delegate NS PATH [flags]

Flags:
      --dtab DTAB        dentries to append to the stored dtab for this query (they win)
${COMMON_FLAGS_HELP}

Example:
  namectl delegate default /svc/gen --dtab '/srv/gen => /srv/gen-canary'
`,
);

export async function delegateCommand(args: readonly string[], io: CliIo, outer: OuterFlags): Promise<number> {
  const cmd = parseCommand(delegateHelp, args, { dtab: { type: 'string' } }, outer);
  if (cmd.help) return delegateHelp.print(io);
  const [ns, path] = expectArgs(delegateHelp, cmd.positionals, ['NS', 'PATH']) as [string, string];
  try {
    Path.read(path);
  } catch (error) {
    if (!(error instanceof DtabSyntaxError)) throw error;
    throw new CommandFailure(`invalid PATH '${path}': ${describeSyntaxError(error)}`, NamectlExit.failure);
  }
  const dtab = typeof cmd.values.dtab === 'string' ? cmd.values.dtab : undefined;
  if (dtab !== undefined) parseDtabText('--dtab', dtab);
  const tree = await withNamerd(io, cmd.remote, (client) => client.delegate(ns, path, dtab));
  if (cmd.json) writeJson(io, tree);
  else writeOut(io, delegateTreeText(tree));
  return NamectlExit.ok;
}
