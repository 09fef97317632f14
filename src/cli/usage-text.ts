/**
 * A command's help text and the usage errors raised against it. `--help` prints the text on
 * standard output and exits 0; a mistake prints the message, the text's `Usage:` block and
 * a pointer to `--help` on standard error and exits 64, so the user sees what the command
 * accepts without scrolling past the whole help.
 */
import { formatMessage, SwitchyardError } from '../errors.js';
import { type CommandSplit, isUsageError, type Options, type Parsed, parseStrict, splitCommand } from './args.js';
import type { CliIo } from './io.js';

/** A SY_ERR_USAGE error that knows which command's usage to show. */
export class UsageError extends SwitchyardError {
  readonly usage: UsageText;

  constructor(message: string, usage: UsageText) {
    super('SY_ERR_USAGE', formatMessage('SY_ERR_USAGE', [message]));
    this.name = 'UsageError';
    this.usage = usage;
  }
}

export class UsageText {
  /** The command as typed, e.g. `namectl dtab fmt`. */
  readonly command: string;
  readonly text: string;

  constructor(command: string, text: string) {
    this.command = command;
    this.text = text;
  }

  print(io: CliIo): number {
    io.stdout.write(this.text);
    return 0;
  }

  error(message: string): UsageError {
    return new UsageError(message, this);
  }

  /** What goes to standard error for a usage error: the message, the synopsis, where help is. */
  report(message: string): string {
    const synopsis = this.text.split('\n\n').find((block) => block.startsWith('Usage:'));
    const usage = synopsis === undefined ? '' : `${synopsis.trimEnd()}\n`;
    return `${this.command}: ${message}\n${usage}Run '${this.command} --help' for more information.\n`;
  }

  parse(args: readonly string[], options: Options, allowPositionals = true): Parsed {
    return this.#attach(() => parseStrict(args, options, allowPositionals));
  }

  split(args: readonly string[], options: Options): CommandSplit {
    return this.#attach(() => splitCommand(args, options));
  }

  #attach<T>(run: () => T): T {
    try {
      return run();
    } catch (error) {
      if (isUsageError(error) && !(error instanceof UsageError)) throw this.error(error.message);
      throw error;
    }
  }
}
