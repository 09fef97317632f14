/**
 * The edge of every CLI run, where errors become exit codes, as the HTTP edges turn them into
 * statuses: a usage error prints its command's synopsis and exits 64 (EX_USAGE); anything
 * that escaped a command is a bug, printed with its stack, exit 70 (EX_SOFTWARE). Commands
 * report bad input themselves and return 1.
 */
import { ExitCode } from './args.js';
import type { CliIo } from './io.js';
import { UsageError } from './usage-text.js';

export async function runCli(name: string, io: CliIo, command: () => Promise<number>): Promise<number> {
  try {
    return await command();
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(error.usage.report(error.message));
      return ExitCode.usage;
    }
    const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
    io.stderr.write(`${name}: internal error: ${detail}\n`);
    return ExitCode.software;
  }
}
