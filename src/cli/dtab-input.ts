/**
 * The dtab a write command sends, read from a file or `-` and validated here first, so a bad
 * dtab is reported as `FILE:LINE:COL: message` without contacting namerd. As in namerctl, input
 * that is JSON (a `.json` file, or text starting with `{` or `[`) is sent as application/json, and
 * the `version` of a `{version, dtab}` object (what `dtab get --json` prints) becomes If-Match;
 * anything else is sent as written, comments included, as application/dtab.
 */
import { Dtab, DtabSyntaxError } from '../index.js';
import type { DtabBody } from '../namerd-protocol/client.js';
import { readVersionedJson } from '../namerd-protocol/dtab-codec.js';
import { describeSyntaxError } from './dtab-format.js';
import { type CliIo, describeIoError, displayName, isIoError, readSource } from './io.js';
import { NamectlExit } from './remote.js';
import { CommandFailure } from './run.js';

export interface DtabInput {
  readonly dtab: Dtab;
  readonly body: DtabBody;
  /** The ETag a `{version, dtab}` JSON input carried. */
  readonly version?: string;
}

/** Reads and validates FILE (or standard input for `-`); throws a CommandFailure (exit 1) when it is bad. */
export async function readDtabInput(io: CliIo, file: string): Promise<DtabInput> {
  const name = displayName(file);
  let text: string;
  try {
    text = await readSource(io, file);
  } catch (error) {
    if (!isIoError(error)) throw error;
    throw invalid(`${name}: ${describeIoError(error)}`);
  }
  return isJson(file, text) ? readJson(name, text) : readText(name, text);
}

/** Parses dtab text, reporting a syntax error as `NAME:LINE:COL: message`. */
export function parseDtabText(name: string, text: string): Dtab {
  try {
    return Dtab.read(text);
  } catch (error) {
    if (!(error instanceof DtabSyntaxError)) throw error;
    throw invalid(`${name}:${error.line}:${error.column}: ${describeSyntaxError(error)}`);
  }
}

function isJson(file: string, text: string): boolean {
  return file.toLowerCase().endsWith('.json') || /^\s*[[{]/.test(text);
}

function readText(name: string, text: string): DtabInput {
  return { dtab: parseDtabText(name, text), body: { contentType: 'application/dtab', text } };
}

function readJson(name: string, text: string): DtabInput {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw invalid(
      `${name}:${jsonPosition(text, (error as Error).message)} not valid JSON: ${(error as Error).message}`,
    );
  }
  try {
    const { dtab, version } = readVersionedJson(value);
    const body: DtabBody = { contentType: 'application/json', text: `${JSON.stringify(dtab.toJSON())}\n` };
    return version === undefined ? { dtab, body } : { dtab, body, version };
  } catch (error) {
    throw invalid(`${name}: ${(error as Error).message}`);
  }
}

/** `LINE:COL:` from V8's "at position N", or nothing when the message has no position. */
function jsonPosition(text: string, message: string): string {
  const match = /at position (\d+)/.exec(message);
  if (match === null) return '';
  const before = text.slice(0, Number(match[1]));
  const line = before.split('\n').length;
  const column = before.length - before.lastIndexOf('\n');
  return `${line}:${column}:`;
}

function invalid(message: string): CommandFailure {
  return new CommandFailure(message, NamectlExit.failure, { plain: true });
}
