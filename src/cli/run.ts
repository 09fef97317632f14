/**
 * The edge of every CLI run, where errors become exit codes, as the HTTP edges turn them into
 * statuses: a usage error prints its command's synopsis and exits with the CLI's usage code (64,
 * EX_USAGE, for switchyard; 2 for namectl, as namerctl-era scripts and `diff` expect); a
 * CommandFailure prints its message and exits with its code; anything else that escaped a
 * command is a bug, printed with its stack, exit 70 (EX_SOFTWARE). Commands report bad input
 * themselves and return 1.
 */
import { ExitCode } from './args.js';
import type { CliIo } from './io.js';
import { UsageError } from './usage-text.js';

/**
 * An expected failure a command cannot report where it happens: printed as `name: message`, or
 * as the bare message when it names its own place (`FILE:LINE:COL: …`).
 */
export class CommandFailure extends Error {
  readonly exitCode: number;
  readonly plain: boolean;

  constructor(message: string, exitCode: number, options: { cause?: unknown; plain?: boolean } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CommandFailure';
    this.exitCode = exitCode;
    this.plain = options.plain === true;
  }
}

export interface RunOptions {
  /** The exit code of a usage error (default 64). */
  readonly usageExitCode?: number;
}

export async function runCli(
  name: string,
  io: CliIo,
  command: () => Promise<number>,
  options: RunOptions = {},
): Promise<number> {
  try {
    return await command();
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(error.usage.report(error.message));
      return options.usageExitCode ?? ExitCode.usage;
    }
    if (error instanceof CommandFailure) {
      io.stderr.write(error.plain ? `${error.message}\n` : `${name}: ${error.message}\n`);
      return error.exitCode;
    }
    const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
    io.stderr.write(`${name}: internal error: ${detail}\n`);
    return ExitCode.software;
  }
}
