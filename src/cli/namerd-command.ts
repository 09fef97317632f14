/**
 * `switchyard namerd`: reads the configuration (defaults, `--config FILE`, flags), reports every
 * problem and exits 64 before anything is bound or opened, then runs namerd until SIGTERM or
 * SIGINT, when it ends watches, stops listening and closes the store.
 */
import { readFile } from 'node:fs/promises';
import type { NamerdFlags } from '../config/namerd-config.js';
import { type NamerdSetup, namerdSetup } from '../config/namerd-linkerd-format.js';
import { SwitchyardError } from '../errors.js';
import { runNamerd } from '../namerd/server.js';
import { NamerdClient } from '../namerd-protocol/client.js';
import { createLogger } from '../telemetry/logger.js';
import { ExitCode, type Options } from './args.js';
import { type CliIo, resolveFile } from './io.js';
import { stopSignal } from './stop-signal.js';
import { UsageText } from './usage-text.js';

export const namerdHelp = new UsageText(
  'switchyard namerd',
  `switchyard namerd: the central dtab service, compatible with namerd's /api/1.

Usage:
  switchyard namerd [flags]

Flags:
      --config FILE        YAML configuration (flags override it): switchyard's keys, or
                           linkerd's namerd format (storage:, interfaces:; docs/config.md)
      --listen HOST:PORT   address of the HTTP API (default 127.0.0.1:4180)
      --admin HOST:PORT    admin port: /metrics, /ready, /healthz, /admin/ping (default 127.0.0.1:9991)
      --store SPEC         file:DIR (default file:./.switchyard/dtabs), memory, or redis://host:port/db
      --token-file FILE    bearer token required for writes (reads stay open)
      --history-limit N    versions kept per namespace (default 100)
      --namers KIND=ARG    a configured namer, e.g. io.l5d.fs=./disco (repeatable)
      --log-level LEVEL    fatal, error, warn, info (default), debug, trace or silent
      --log-format FORMAT  json, pretty, or auto (pretty on a terminal; default)
  -h, --help               help for namerd

Examples:
  switchyard namerd
  switchyard namerd --store redis://127.0.0.1:6379/0 --token-file /etc/switchyard/token
`,
);

const options: Options = {
  help: { type: 'boolean', short: 'h' },
  config: { type: 'string' },
  listen: { type: 'string' },
  admin: { type: 'string' },
  store: { type: 'string' },
  'token-file': { type: 'string' },
  'history-limit': { type: 'string' },
  namers: { type: 'string', multiple: true },
  'log-level': { type: 'string' },
  'log-format': { type: 'string' },
};

export interface NamerdCommandHooks {
  /** Resolves when the process should stop; by default on SIGTERM or SIGINT. */
  readonly stopSignal?: Promise<void>;
  /** Called once namerd listens, with its URL (tests use it). */
  readonly onListening?: (url: string) => void;
}

export async function namerdCommand(
  args: readonly string[],
  io: CliIo,
  hooks: NamerdCommandHooks = {},
): Promise<number> {
  const { values } = namerdHelp.parse(args, options, false);
  if (values.help === true) return namerdHelp.print(io);
  const str = (k: string) => values[k] as string | undefined;
  const flags: NamerdFlags = {
    ...(str('listen') ? { listen: str('listen') } : {}),
    ...(str('admin') ? { admin: str('admin') } : {}),
    ...(str('store') ? { store: str('store') } : {}),
    ...(str('token-file') ? { tokenFile: str('token-file') } : {}),
    ...(str('history-limit') ? { historyLimit: str('history-limit') } : {}),
    ...(values.namers ? { namers: values.namers as string[] } : {}),
    ...(str('log-level') ? { logLevel: str('log-level') } : {}),
    ...(str('log-format') ? { logFormat: str('log-format') } : {}),
  };
  let setup: NamerdSetup;
  try {
    const file = str('config');
    const text = file === undefined ? null : await readFile(resolveFile(io, file), 'utf8');
    setup = namerdSetup(text, flags, file ?? 'config');
  } catch (e) {
    io.stderr.write(`switchyard namerd: ${e instanceof SwitchyardError ? e.message : (e as Error).message}\n`);
    return ExitCode.usage;
  }
  const config = setup.config;
  const logger = createLogger({ ...config.log, name: 'namerd', destination: io.stderr });
  for (const warning of setup.warnings) logger.warn({ warning }, `config: ${warning}`);
  // Listened for from here on: a SIGTERM while namerd starts (or seeds its namespaces) stops it once up.
  const stop = hooks.stopSignal ?? stopSignal();
  let namerd: Awaited<ReturnType<typeof runNamerd>>;
  try {
    namerd = await runNamerd(config, logger);
  } catch (e) {
    const code = e instanceof SwitchyardError && e.code === 'SY_ERR_CONFIG_INVALID' ? ExitCode.usage : ExitCode.failure;
    logger.fatal({ err: e }, 'namerd could not start');
    io.stderr.write(`switchyard namerd: ${(e as Error).message}\n`);
    return code;
  }
  try {
    await seedNamespaces(namerd.url, setup.seed, config.tokenFile);
  } catch (e) {
    logger.fatal({ err: e }, 'namerd could not create the namespaces of its storage config');
    io.stderr.write(`switchyard namerd: ${(e as Error).message}\n`);
    await namerd.close();
    return ExitCode.failure;
  }
  hooks.onListening?.(namerd.url);
  await stop;
  await namerd.close();
  return ExitCode.ok;
}

/**
 * linkerd's `io.l5d.inMemory` storage starts with the namespaces its config lists: they are
 * written through namerd's own API, so they pass the same checks (and land in history) as any
 * write would.
 */
async function seedNamespaces(url: string, seed: Readonly<Record<string, string>>, tokenFile: string | null) {
  const names = Object.keys(seed);
  if (names.length === 0) return;
  const token = tokenFile === null ? undefined : (await readFile(tokenFile, 'utf8')).trim();
  const client = new NamerdClient(new URL(url), token === undefined ? {} : { token });
  try {
    for (const ns of names)
      await client.create(ns, { contentType: 'application/dtab', text: seed[ns]! }, 'storage.namespaces (config)');
  } finally {
    await client.close();
  }
}
