/**
 * namectl and its namerctl twin run the same dtab commands (src/cli/dtab-operations.ts) and differ
 * only where a Dialect says so; each difference is one field here, decided once for each CLI.
 * namerctl's side is linkerd's Go namerctl exactly, so its users' scripts keep working; namectl's
 * side is safer by default (docs/namerd-api.md#namerctl-the-twin).
 */
import { DEFAULT_BASE_URL, type StoredDtab, type WriteResult } from '../namerd-protocol/client.js';
import { readDtabInput } from './dtab-input.js';
import { type CliIo, writeOut } from './io.js';
import { readNamerctlInput, type WriteInput } from './namerctl-input.js';
import { goCompact, goJsonNames, goJsonVersioned, goPretty, namerctlMessage } from './namerctl-output.js';
import { asFailure, NamectlExit, writeJson } from './remote.js';
import { CommandFailure } from './run.js';

export type WriteVerb = 'Created' | 'Updated' | 'Deleted';

export interface Dialect {
  readonly name: 'namectl' | 'namerctl';
  /** Environment variables naming namerd, in precedence order, after --base-url and before the config file. */
  readonly baseUrlEnv: readonly string[];
  /** namerd's address when nothing names it; none means the run fails with "empty base URL". */
  readonly defaultBaseUrl: string | undefined;
  /** A config file that cannot be read: fail the run (exit 2), or print viper's complaint and carry on. */
  readonly configProblem: 'fail' | 'warn';
  /** How FILE becomes the body of a create or update (validated first, or sent as it is). */
  readonly readInput: (io: CliIo, file: string) => Promise<WriteInput>;
  /** An update given no version: a compare-and-set on the version read just before, or last write wins. */
  readonly unversionedUpdate: 'compare-and-set' | 'last-write-wins';
  /** Explain a lost compare-and-set (who won, what to do) and add next steps to 404s and 409s. */
  readonly explains: boolean;
  /** The failure a client error becomes (message and exit code). */
  readonly failure: (error: unknown, signal?: AbortSignal) => unknown;
  /** The failure for a base URL that is empty, not an http(s) URL with a host, or has a query or fragment. */
  readonly badBaseUrl: (problem: 'empty' | 'invalid' | 'query', text: string, from: string) => CommandFailure;
  readonly print: {
    readonly list: (io: CliIo, names: readonly string[], json: boolean) => void;
    readonly get: (io: CliIo, stored: StoredDtab, form: { json: boolean; pretty: boolean }) => void;
    readonly written: (io: CliIo, verb: WriteVerb, ns: string, result: WriteResult | null, json: boolean) => void;
  };
}

export const namectlDialect: Dialect = {
  name: 'namectl',
  baseUrlEnv: ['NAMECTL_BASE_URL', 'NAMERCTL_BASE_URL'],
  defaultBaseUrl: DEFAULT_BASE_URL,
  configProblem: 'fail',
  readInput: readDtabInput,
  unversionedUpdate: 'compare-and-set',
  explains: true,
  failure: asFailure,
  badBaseUrl: (problem, text, from) => {
    const why =
      problem === 'empty'
        ? 'empty base URL'
        : problem === 'invalid'
          ? `invalid base URL: ${text}${from}: it needs an http:// or https:// scheme and a host, e.g. http://127.0.0.1:4180`
          : `invalid base URL: ${text}${from}: it may not have a query or fragment`;
    return new CommandFailure(problem === 'empty' ? `${why}${from}` : why, NamectlExit.usage);
  },
  print: {
    list: (io, names, json) => (json ? writeJson(io, names) : writeOut(io, names.map((n) => `${n}\n`).join(''))),
    get: (io, stored, { json, pretty }) => {
      if (json) writeJson(io, { version: stored.version, dtab: stored.dtab.toJSON() });
      else if (!pretty) writeOut(io, `${stored.dtab.dentries.map((d) => `${d.show()};`).join('')}\n`);
      else writeOut(io, `${stored.version === '' ? '' : `# version ${stored.version}\n`}${stored.dtab.showPretty()}`);
    },
    written: (io, verb, ns, result, json) => {
      if (json) {
        const fields = result === null ? { deleted: true } : { version: result.version, number: result.number };
        writeJson(io, { namespace: ns, ...fields });
        return;
      }
      // The new version's number, so the operator can name it in history, diff and rollback.
      const number =
        verb === 'Updated' && result !== null && result.number !== null ? ` (version ${result.number})` : '';
      writeOut(io, `${verb} ${ns}${number}\n`);
    },
  },
};

/** What linkerd's namerctl exits with on every error (os.Exit(-1)). */
export const NAMERCTL_EXIT = 255;

export const namerctlDialect: Dialect = {
  name: 'namerctl',
  baseUrlEnv: ['NAMERCTL_BASE_URL'],
  defaultBaseUrl: undefined,
  configProblem: 'warn',
  readInput: readNamerctlInput,
  unversionedUpdate: 'last-write-wins',
  explains: false,
  failure: (error, signal) => {
    if (error instanceof CommandFailure) return error;
    if (signal?.aborted === true) return new CommandFailure('interrupted', NamectlExit.interrupted, { cause: error });
    const message = namerctlMessage(error);
    return message === null ? error : new CommandFailure(message, NAMERCTL_EXIT, { cause: error, plain: true });
  },
  // namerctl's words; a query or fragment it passed along, so only the first two can happen.
  badBaseUrl: (problem, text) =>
    new CommandFailure(problem === 'empty' ? 'empty base URL' : `invalid base URL: ${text}`, NAMERCTL_EXIT, {
      plain: true,
    }),
  print: {
    // Go's fmt.Println of the names joined: an empty list prints an empty line.
    list: (io, names, json) => writeOut(io, `${json ? goJsonNames(names) : names.join('\n')}\n`),
    get: (io, stored, { json, pretty }) => {
      if (json) writeOut(io, `${goJsonVersioned(stored.version, stored.entries)}\n`);
      else if (!pretty) writeOut(io, `${goCompact(stored.entries)}\n`);
      else writeOut(io, `${stored.version === '' ? '' : `# version ${stored.version}\n`}${goPretty(stored.entries)}`);
    },
    // --json changed only list and get; writes always print the one line.
    written: (io, verb, ns) => writeOut(io, `${verb} ${ns}\n`),
  },
};
