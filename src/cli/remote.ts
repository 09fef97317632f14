/**
 * What every command that talks to namerd shares: where namerd is (`--base-url`, then
 * NAMECTL_BASE_URL, then namerctl's NAMERCTL_BASE_URL, then the `base-url` of namerctl's config
 * file, then http://127.0.0.1:4180; the namerctl twin's order is its dialect's), the write token
 * (`--token`, then NAMECTL_TOKEN), namectl's exit codes (0 ok, 1 refused by namerd or invalid
 * input, 2 usage or no connection), and turning the client's errors into those codes with a
 * message that says what to do next.
 */
import { STATUS_CODES } from 'node:http';
import { NamerdClient, NamerdHttpError, NamerdUnreachableError } from '../namerd-protocol/client.js';
import { etagToVersion, parseVersionRef, type VersionRef } from '../namerd-protocol/etag.js';
import type { Options, Parsed } from './args.js';
import type { Dialect } from './dialect.js';
import { type CliIo, envOf, writeErr } from './io.js';
import { readConfig } from './namerctl-config.js';
import { CommandFailure } from './run.js';
import type { UsageText } from './usage-text.js';

export const NamectlExit = {
  ok: 0,
  /** namerd refused the request, or the input is invalid; also "different" for diff. */
  failure: 1,
  usage: 2,
  unreachable: 2,
  /** 128 + SIGINT, as shells report an interrupted command. */
  interrupted: 130,
} as const;

export const remoteOptions = {
  'base-url': { type: 'string' },
  config: { type: 'string' },
  token: { type: 'string' },
} as const satisfies Options;

export interface RemoteFlags {
  /** Which CLI is running: it decides where namerd is found and how failures read. */
  readonly dialect: Dialect;
  readonly baseUrl?: string;
  /** `--config FILE`: namerctl's config file, instead of the nearest `.namerctl.<ext>`. */
  readonly config?: string;
  readonly token?: string;
}

/** The remote flags given at this level, over those given further out (`namectl --base-url … dtab get`). */
export function remoteFlags(values: Parsed['values'], outer: RemoteFlags): RemoteFlags {
  const pick = (key: string, given: string | undefined) => (typeof values[key] === 'string' ? values[key] : given);
  const baseUrl = pick('base-url', outer.baseUrl);
  const config = pick('config', outer.config);
  const token = pick('token', outer.token);
  return {
    dialect: outer.dialect,
    ...(baseUrl === undefined ? {} : { baseUrl }),
    ...(config === undefined ? {} : { config }),
    ...(token === undefined ? {} : { token }),
  };
}

/**
 * Where namerd is: --base-url, then the dialect's environment variables in order, then the config
 * file's `base-url`, then the dialect's default. As namerctl: a scheme and a host are required,
 * and a path prefix is kept.
 */
export async function resolveBaseUrl(flags: RemoteFlags, io: CliIo): Promise<URL> {
  const { dialect } = flags;
  const env = envOf(io);
  const sources: [string, string | undefined][] = [
    ['--base-url', flags.baseUrl],
    // An empty variable counts as unset, as viper reads it.
    ...dialect.baseUrlEnv.map((name: string): [string, string | undefined] => [
      name,
      env[name] === '' ? undefined : env[name],
    ]),
  ];
  let [source, text] = sources.find(([, value]) => value !== undefined) ?? ['', undefined];
  if (text === undefined) {
    const config = await readConfig(io.cwd ?? process.cwd(), flags.config);
    if (config.problem !== undefined) {
      if (dialect.configProblem === 'fail') throw new CommandFailure(config.problem, NamectlExit.usage);
      writeErr(io, `${config.problem}\n`);
    }
    if (config.baseUrl !== undefined) [source, text] = [config.file!, config.baseUrl];
  }
  if (text === undefined && dialect.defaultBaseUrl !== undefined) [source, text] = ['default', dialect.defaultBaseUrl];
  const from = source === '--base-url' || source === 'default' ? '' : ` (from ${source})`;
  if (text === undefined || text.trim() === '') throw dialect.badBaseUrl('empty', text ?? '', from);
  let url: URL | undefined;
  try {
    url = new URL(text.trim());
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '') {
    throw dialect.badBaseUrl('invalid', text, from);
  }
  if (url.search !== '' || url.hash !== '') throw dialect.badBaseUrl('query', text, from);
  return url;
}

/** Runs `work` with a client for namerd, closing it afterwards and turning its errors into exit codes. */
export async function withNamerd<T>(
  io: CliIo,
  flags: RemoteFlags,
  work: (client: NamerdClient) => Promise<T>,
): Promise<T> {
  const env = envOf(io);
  const token = flags.token ?? (env.NAMECTL_TOKEN === '' ? undefined : env.NAMECTL_TOKEN);
  const client = new NamerdClient(await resolveBaseUrl(flags, io), {
    ...(token === undefined ? {} : { token }),
    ...(io.signal === undefined ? {} : { signal: io.signal }),
  });
  try {
    return await work(client);
  } catch (error) {
    throw flags.dialect.failure(error, io.signal);
  } finally {
    await client.close();
  }
}

/** The exit code and message for an error from the client; other errors pass through unchanged. */
export function asFailure(error: unknown, signal?: AbortSignal): unknown {
  if (error instanceof CommandFailure) return error;
  if (signal?.aborted === true) return new CommandFailure('interrupted', NamectlExit.interrupted, { cause: error });
  if (error instanceof NamerdHttpError) return new CommandFailure(describeRefusal(error), NamectlExit.failure);
  if (error instanceof NamerdUnreachableError) return new CommandFailure(error.message, NamectlExit.unreachable);
  return error;
}

/** namerd's own explanation with the status, plus what to do about a missing or wrong token. */
export function describeRefusal(error: NamerdHttpError, hint?: string): string {
  const status = `${error.status} ${STATUS_CODES[error.status] ?? ''}`.trim();
  let text = error.detail === '' ? error.message : `${error.detail} (${status})`;
  if (error.status === 401) text += '\nnamerd requires a token for writes: pass --token TOKEN or set NAMECTL_TOKEN.';
  if (error.status === 403) text += '\nnamerd did not accept the token given with --token or NAMECTL_TOKEN.';
  if (hint !== undefined) text += `\n${hint}`;
  return text;
}

/** A refusal with `status` gets `hint` added; anything else goes on to asFailure unchanged. */
export function withHint(error: unknown, status: number, hint: string): unknown {
  if (error instanceof NamerdHttpError && error.status === status) {
    return new CommandFailure(describeRefusal(error, hint), NamectlExit.failure);
  }
  return error;
}

export { parseVersionRef, type VersionRef };

/** `version 3 (AAAAAAAAAAM=)`, or just the ETag when it is not switchyard's numeric form. */
export function describeVersion(etag: string): string {
  const number = etagToVersion(etag);
  return number === null ? `version ${etag}` : `version ${number} (${etag})`;
}

/** What the levels above a command (`namectl`, `namectl dtab`) were given. */
export interface OuterFlags {
  readonly remote: RemoteFlags;
  /** `namectl dtab --json …`, namerctl's persistent flag. */
  readonly json: boolean;
}

export interface ParsedCommand {
  readonly values: Parsed['values'];
  readonly positionals: string[];
  readonly remote: RemoteFlags;
  readonly json: boolean;
  readonly help: boolean;
}

/** Parses a remote command's arguments: its own options plus -h, --json, --base-url and --token. */
export function parseCommand(
  usage: UsageText,
  args: readonly string[],
  options: Options,
  outer: OuterFlags,
): ParsedCommand {
  const all: Options = {
    help: { type: 'boolean', short: 'h' },
    json: { type: 'boolean' },
    ...remoteOptions,
    ...options,
  };
  const { values, positionals } = usage.parse(args, all);
  return {
    values,
    positionals,
    remote: remoteFlags(values, outer.remote),
    json: values.json === true || outer.json,
    help: values.help === true,
  };
}

/** Exactly `names.length` positional arguments, or a usage error naming the first one missing. */
export function expectArgs(usage: UsageText, positionals: readonly string[], names: readonly string[]): string[] {
  if (positionals.length < names.length) throw usage.error(`missing ${names[positionals.length]}`);
  if (positionals.length > names.length) throw usage.error(`unexpected argument '${positionals[names.length]}'`);
  return [...positionals];
}

export function writeJson(io: CliIo, value: unknown): void {
  io.stdout.write(`${JSON.stringify(value)}\n`);
}

/** The flags every remote command takes, as its help lists them. */
export const COMMON_FLAGS_HELP = `  -h, --help             help for this command
      --json             print JSON
      --base-url URL     namerd's address (default: $NAMECTL_BASE_URL, $NAMERCTL_BASE_URL,
                         .namerctl.yaml's base-url, or http://127.0.0.1:4180)
      --config FILE      namerctl's config file (default: the nearest .namerctl.<ext>)`;

export const TOKEN_FLAG_HELP = '      --token TOKEN      bearer token for writes (default: $NAMECTL_TOKEN)';
