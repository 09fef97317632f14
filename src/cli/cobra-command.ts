/**
 * Just enough of spf13/cobra and pflag (the revisions linkerd's namerctl was built with) for the
 * namerctl twin to parse, fail and print help as namerctl did: commands found by name or alias
 * before flags are parsed (cobra's stripFlags, quirks included), flags anywhere after them
 * (`--f v`, `--f=v`, booleans with an optional `=value`, `-h`, `--`), persistent flags inherited
 * by subcommands, `help [command]`, and cobra's help and usage templates. An error goes to
 * standard error as `Error: …` with the command's usage, and to standard output as the message
 * alone (namerctl printed it again there), with exit status 255.
 */
import type { CliIo } from './io.js';

export interface FlagSpec {
  readonly name: string;
  readonly short?: string;
  readonly type: 'string' | 'bool';
  readonly usage: string;
  readonly default?: string | boolean;
  /** Inherited by subcommands (cobra's PersistentFlags). */
  readonly persistent?: boolean;
}

export type FlagValues = ReadonlyMap<string, string | boolean>;

export interface CommandSpec {
  readonly use: string;
  readonly aliases?: readonly string[];
  readonly short: string;
  readonly long?: string;
  readonly flags?: readonly FlagSpec[];
  readonly run?: (args: readonly string[], flags: FlagValues) => Promise<void>;
  readonly commands?: readonly CommandSpec[];
}

/** A command failed; cobra prints the message (and usage) and namerctl exits 255. */
export class CobraError extends Error {
  override readonly name = 'CobraError';
}

class Command {
  readonly children: Command[];
  readonly local: FlagSpec[];
  helpCommand = false;

  constructor(
    readonly spec: CommandSpec,
    readonly parent?: Command,
  ) {
    this.local = [...(spec.flags ?? [])];
    this.children = (spec.commands ?? []).map((c) => new Command(c, this));
  }

  get name(): string {
    return this.spec.use.split(' ')[0]!;
  }
  get runnable(): boolean {
    return this.spec.run !== undefined;
  }
  get path(): string {
    return this.parent === undefined ? this.name : `${this.parent.path} ${this.name}`;
  }
  get available(): boolean {
    return !this.helpCommand && (this.runnable || this.children.some((c) => c.available));
  }
  /** Every flag this command parses: its own, then the persistent ones of its ancestors. */
  get flags(): FlagSpec[] {
    const all = [...this.local];
    for (let p = this.parent; p !== undefined; p = p.parent) {
      for (const f of p.local) if (f.persistent === true && !all.some((a) => a.name === f.name)) all.push(f);
    }
    return all;
  }
  get inherited(): FlagSpec[] {
    return this.flags.filter((f) => !this.local.includes(f));
  }
  matches(word: string): boolean {
    return this.name === word || (this.spec.aliases ?? []).includes(word);
  }
}

export class Cobra {
  readonly #root: Command;

  constructor(root: CommandSpec) {
    this.#root = new Command(root);
  }

  /** Runs argv as namerctl's `cmd.Execute()` followed by its `fmt.Println(err); os.Exit(-1)`. */
  async execute(argv: readonly string[], io: CliIo): Promise<number> {
    try {
      await this.#execute(argv, io);
      return 0;
    } catch (error) {
      if (!(error instanceof CobraError)) throw error;
      io.stdout.write(`${error.message}\n`);
      return 255;
    }
  }

  async #execute(argv: readonly string[], io: CliIo): Promise<void> {
    this.#addHelpCommand(io);
    const { command, args, error } = this.#find(argv);
    if (error !== undefined) {
      io.stderr.write(`Error: ${error}\nRun '${command.path} --help' for usage.\n`);
      throw new CobraError(error);
    }
    if (!command.local.some((f) => f.name === 'help')) {
      command.local.push({ name: 'help', short: 'h', type: 'bool', usage: `help for ${command.name}` });
    }
    try {
      const { values, positionals } = parseFlags(command.flags, args);
      if (values.get('help') === true || !command.runnable) {
        io.stdout.write(help(command));
        return;
      }
      await command.spec.run!(positionals, values);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (!(error instanceof CobraError)) throw error;
      io.stderr.write(`Error: ${message}\n${usage(command)}\n`);
      throw error;
    }
  }

  #addHelpCommand(io: CliIo): void {
    if (this.#root.children.some((c) => c.helpCommand)) return;
    const root = this.#root;
    const helpCommand = new Command(
      {
        use: 'help [command]',
        short: 'Help about any command',
        long: `Help provides help for any command in the application.\n    Simply type ${root.name} help [path to command] for full details.`,
        run: async (args) => {
          const found = this.#find(args);
          if (found.error !== undefined) {
            // cobra's own words, to standard error, with no line break before the usage.
            io.stderr.write(`Unknown help topic [${args.map((a) => `\`${a}\``).join(' ')}].${usage(root)}`);
          } else {
            io.stdout.write(help(found.command));
          }
        },
      },
      root,
    );
    helpCommand.helpCommand = true;
    root.children.push(helpCommand);
  }

  /** cobra's Find: walk down by the words that stripFlags leaves, then refuse an unknown word at the root. */
  #find(argv: readonly string[]): { command: Command; args: string[]; error?: string } {
    let command = this.#root;
    const args = [...argv];
    for (;;) {
      const words = stripFlags(args, command);
      const next = words[0];
      const child = next === undefined ? undefined : command.children.find((c) => c.matches(next));
      if (child === undefined || next === undefined) break;
      args.splice(args.indexOf(next), 1);
      command = child;
    }
    const words = stripFlags(args, command);
    if (command === this.#root && command.children.length > 0 && words.length > 0) {
      const suggestions = command.children
        .filter((c) => c.available && (distance(words[0]!, c.name) <= 2 || c.name.startsWith(words[0]!.toLowerCase())))
        .map((c) => `\t${c.name}\n`);
      const hint = suggestions.length === 0 ? '' : `\n\nDid you mean this?\n${suggestions.join('')}`;
      return { command, args, error: `unknown command "${words[0]}" for "${command.path}"${hint}` };
    }
    return { command, args };
  }
}

/** The words left once flags are taken out, as cobra guessed them before it knew which flags take values. */
function stripFlags(args: readonly string[], command: Command): string[] {
  const isBool = (name: string) => command.flags.some((f) => f.name === name && f.type === 'bool');
  const isBoolShort = (short: string) => command.flags.some((f) => f.short === short && f.type === 'bool');
  const words: string[] = [];
  let inQuote = false;
  let inFlag = false;
  for (const y of args) {
    if (!inQuote) {
      if (y.startsWith('"')) inQuote = true;
      else if (y.includes('="')) inQuote = true;
      else if (y.startsWith('--') && !y.includes('=')) inFlag = !isBool(y.slice(2));
      else if (y.startsWith('-') && !y.includes('=') && y.length === 2 && !isBoolShort(y.slice(1))) inFlag = true;
      else if (inFlag) inFlag = false;
      else if (y === '') {
        // cobra drops empty words
      } else if (!y.startsWith('-')) {
        words.push(y);
        inFlag = false;
      }
    }
    if (y.endsWith('"') && !y.endsWith('\\"')) inQuote = false;
  }
  return words;
}

/** pflag's Parse, interspersed: flags anywhere, `--` ends them. */
export function parseFlags(
  flags: readonly FlagSpec[],
  argv: readonly string[],
): { values: Map<string, string | boolean>; positionals: string[] } {
  const values = new Map<string, string | boolean>();
  for (const f of flags) values.set(f.name, f.default ?? (f.type === 'bool' ? false : ''));
  const positionals: string[] = [];
  const set = (f: FlagSpec, value: string) => {
    if (f.type === 'string') {
      values.set(f.name, value);
      return;
    }
    const bool = parseGoBool(value);
    if (bool === null) {
      const flagName = f.short === undefined ? `--${f.name}` : `-${f.short}, --${f.name}`;
      throw new CobraError(
        `invalid argument "${value}" for "${flagName}" flag: strconv.ParseBool: parsing "${value}": invalid syntax`,
      );
    }
    values.set(f.name, bool);
  };
  const args = [...argv];
  while (args.length > 0) {
    const s = args.shift()!;
    if (s.length < 2 || !s.startsWith('-')) {
      positionals.push(s);
      continue;
    }
    if (s === '--') {
      positionals.push(...args);
      break;
    }
    if (s.startsWith('--')) {
      const body = s.slice(2);
      if (body.startsWith('-') || body.startsWith('=')) throw new CobraError(`bad flag syntax: ${s}`);
      const eq = body.indexOf('=');
      const name = eq === -1 ? body : body.slice(0, eq);
      const flag = flags.find((f) => f.name === name);
      if (flag === undefined) throw new CobraError(`unknown flag: --${name}`);
      if (eq !== -1) set(flag, body.slice(eq + 1));
      else if (flag.type === 'bool') set(flag, 'true');
      else if (args.length > 0) set(flag, args.shift()!);
      else throw new CobraError(`flag needs an argument: ${s}`);
      continue;
    }
    let shorts = s.slice(1);
    while (shorts.length > 0) {
      const c = shorts[0]!;
      const flag = flags.find((f) => f.short === c);
      if (flag === undefined) throw new CobraError(`unknown shorthand flag: '${c}' in -${shorts}`);
      if (shorts.length > 2 && shorts[1] === '=') {
        set(flag, shorts.slice(2));
        shorts = '';
      } else if (flag.type === 'bool') {
        set(flag, 'true');
        shorts = shorts.slice(1);
      } else if (shorts.length > 1) {
        set(flag, shorts.slice(1));
        shorts = '';
      } else if (args.length > 0) {
        set(flag, args.shift()!);
        shorts = '';
      } else {
        throw new CobraError(`flag needs an argument: '${c}' in -${shorts}`);
      }
    }
  }
  return { values, positionals };
}

function parseGoBool(text: string): boolean | null {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(text)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(text)) return false;
  return null;
}

/** pflag's FlagUsages: sorted by name, usages aligned one column past the longest flag. */
function flagUsages(flags: readonly FlagSpec[]): string {
  const sorted = [...flags].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const heads = sorted.map((f) => {
    const head = f.short === undefined ? `      --${f.name}` : `  -${f.short}, --${f.name}`;
    return f.type === 'string' ? `${head} string` : head;
  });
  const max = Math.max(0, ...heads.map((h) => h.length + 1));
  return sorted
    .map((f, i) => {
      const zero = f.default === undefined || f.default === false || f.default === '';
      const def = zero ? '' : f.type === 'string' ? ` (default "${f.default}")` : ` (default ${f.default})`;
      return `${heads[i]} ${' '.repeat(max - heads[i]!.length)} ${f.usage}${def}\n`;
    })
    .join('');
}

/** cobra's usage template. */
function usage(c: Command): string {
  const subcommands = [...c.children].sort((a, b) => (a.name < b.name ? -1 : 1)).filter((k) => k.available);
  const namePadding = Math.max(11, ...c.children.map((k) => k.name.length));
  const useLine = c.parent === undefined ? c.spec.use : `${c.parent.path} ${c.spec.use}`;
  let s = 'Usage:';
  if (c.runnable) s += `\n  ${c.flags.length > 0 && !useLine.includes('[flags]') ? `${useLine} [flags]` : useLine}`;
  if (subcommands.length > 0) s += `\n  ${c.path} [command]`;
  const aliases = c.spec.aliases ?? [];
  if (aliases.length > 0) s += `\n\nAliases:\n  ${[c.name, ...aliases].join(', ')}\n`;
  if (subcommands.length > 0) {
    s += '\n\nAvailable Commands:';
    for (const k of subcommands) s += `\n  ${k.name.padEnd(namePadding)} ${k.spec.short}`;
  }
  if (c.local.length > 0) s += `\n\nFlags:\n${flagUsages(c.local).trimEnd()}`;
  if (c.inherited.length > 0) s += `\n\nGlobal Flags:\n${flagUsages(c.inherited).trimEnd()}`;
  if (subcommands.length > 0) s += `\n\nUse "${c.path} [command] --help" for more information about a command.`;
  return `${s}\n`;
}

/** cobra's help template: the long (or short) description, then the usage. */
function help(c: Command): string {
  const about = (c.spec.long ?? c.spec.short).trim();
  const body = c.runnable || c.children.length > 0 ? usage(c) : '';
  return `${about === '' ? '' : `${about}\n\n`}${body}`;
}

/** Levenshtein distance, case-insensitive, as cobra's suggestions use it. */
function distance(a: string, b: string): number {
  const s = a.toLowerCase();
  const t = b.toLowerCase();
  let row = Array.from({ length: t.length + 1 }, (_, j) => j);
  for (let i = 1; i <= s.length; i++) {
    const next = [i];
    for (let j = 1; j <= t.length; j++) {
      next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (s[i - 1] === t[j - 1] ? 0 : 1));
    }
    row = next;
  }
  return row[t.length]!;
}
