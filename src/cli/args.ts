/**
 * Argument parsing shared by namectl and the switchyard command, on top of node:util's
 * parseArgs. Commands nest (`namectl dtab fmt FILE`), so each level parses only the options
 * in front of its subcommand and hands the rest down. Every mistake becomes one
 * SY_ERR_USAGE error with a short message, which the entry point prints together with the
 * usage text before exiting 64 (EX_USAGE), as linkerd2-proxy does for a bad configuration.
 */
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { createError, SwitchyardError } from '../errors.js';

export type Options = NonNullable<ParseArgsConfig['options']>;

/** The exit codes of sysexits.h that the CLIs use, plus plain failure. */
export const ExitCode = {
  ok: 0,
  failure: 1,
  usage: 64,
  software: 70,
} as const;

export function usageError(message: string): SwitchyardError {
  return createError('SY_ERR_USAGE', [message]);
}

export function isUsageError(error: unknown): error is SwitchyardError {
  return error instanceof SwitchyardError && error.code === 'SY_ERR_USAGE';
}

/** Edits (insert, delete, replace) between two short strings. */
function distance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) {
      next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    row = next;
  }
  return row[b.length]!;
}

/** The known option closest to what was typed, when one is close enough to be a typo. */
export function didYouMean(typed: string, options: Options): string | undefined {
  const bare = typed.replace(/^-+/, '').split('=')[0]!;
  let best: { name: string; d: number } | undefined;
  for (const name of Object.keys(options)) {
    const d = distance(bare, name);
    if (d <= Math.max(1, Math.floor(name.length / 4)) && (best === undefined || d < best.d)) best = { name, d };
  }
  return best === undefined ? undefined : `--${best.name}`;
}

/** parseArgs' messages carry advice meant for its own API; keep the part a user needs. */
function fromParseArgs(error: unknown, options?: Options): unknown {
  const code = (error as { code?: unknown }).code;
  if (typeof code !== 'string' || !code.startsWith('ERR_PARSE_ARGS_')) return error;
  const message = (error as Error).message;
  const quoted = /'([^']*)'/.exec(message)?.[1];
  switch (code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION': {
      const hint = quoted === undefined || options === undefined ? undefined : didYouMean(quoted, options);
      return usageError(`unknown option '${quoted}'${hint === undefined ? '' : ` (did you mean ${hint}?)`}`);
    }
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return usageError(`unexpected argument '${quoted}'`);
    default:
      return usageError(message.charAt(0).toLowerCase() + message.slice(1));
  }
}

export interface Parsed {
  readonly values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  readonly positionals: string[];
}

/** Parses all of `args` strictly: unknown options and stray arguments are usage errors. */
export function parseStrict(args: readonly string[], options: Options, allowPositionals: boolean): Parsed {
  try {
    return parseArgs({ args: [...args], options, strict: true, allowPositionals });
  } catch (error) {
    throw fromParseArgs(error, options);
  }
}

export interface CommandSplit {
  /** The options in front of the command, already checked against `options`. */
  readonly values: Parsed['values'];
  /** The first positional argument, or undefined when there is none. */
  readonly command: string | undefined;
  /** Everything after the command, for the subcommand to parse. */
  readonly rest: string[];
}

/**
 * Splits `[options] command [args]` at the command. Options that take a value are known to
 * parseArgs, so a value is never mistaken for the command.
 */
export function splitCommand(args: readonly string[], options: Options): CommandSplit {
  const { tokens } = parseArgs({ args: [...args], options, strict: false, allowPositionals: true, tokens: true });
  const first = tokens.find((t) => t.kind === 'positional');
  const at = first === undefined ? args.length : first.index;
  const { values } = parseStrict(args.slice(0, at), options, false);
  return { values, command: args[at], rest: args.slice(at + 1) };
}
