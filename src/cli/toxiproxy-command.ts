/**
 * `switchyard toxiproxy`: a drop-in Toxiproxy server (docs/chaos.md). Toxiproxy's clients and
 * toxiproxy-cli drive it on 127.0.0.1:8474; `--config` takes toxiproxy-server's JSON list of
 * proxies. Problems with the flags or the file exit 64 before any port is bound.
 */
import { readFile } from 'node:fs/promises';
import { ApiError } from '../chaos/api-error.js';
import { startToxiproxyServer } from '../chaos/server.js';
import { logSettings } from '../config/log-config.js';
import { Problems } from '../config/validation.js';
import { createLogger } from '../telemetry/logger.js';
import { ExitCode, type Options } from './args.js';
import { type CliIo, describeIoError, resolveFile } from './io.js';
import type { LongRunningHooks } from './registry-command.js';
import { stopSignal } from './stop-signal.js';
import { UsageText } from './usage-text.js';

export const toxiproxyHelp = new UsageText(
  'switchyard toxiproxy',
  `switchyard toxiproxy: a Toxiproxy server: TCP proxies on loopback that add latency, cut
bandwidth, hold, reset or close connections, driven by Toxiproxy's HTTP API and clients.

Usage:
  switchyard toxiproxy [flags]

Flags:
      --listen HOST:PORT   address of the API, loopback only (default 127.0.0.1:8474)
      --config FILE        JSON list of proxies to create at start, as toxiproxy-server -config
      --log-level LEVEL    fatal, error, warn, info (default), debug, trace or silent
      --log-format FORMAT  json, pretty, or auto (pretty on a terminal; default)
  -h, --help               help for toxiproxy

Examples:
  switchyard toxiproxy
  switchyard toxiproxy --config proxies.json
`,
);

const options: Options = {
  help: { type: 'boolean', short: 'h' },
  listen: { type: 'string' },
  config: { type: 'string' },
  'log-level': { type: 'string' },
  'log-format': { type: 'string' },
};

const MAX_CONFIG_BYTES = 1024 * 1024;

export async function toxiproxyCommand(args: readonly string[], io: CliIo, hooks: LongRunningHooks = {}) {
  const { values } = toxiproxyHelp.parse(args, options, false);
  if (values.help === true) return toxiproxyHelp.print(io);
  const str = (k: string) => values[k] as string | undefined;
  const problems = new Problems();
  const log = logSettings(undefined, { level: str('log-level'), format: str('log-format') }, problems);
  let proxies: unknown;
  const config = str('config');
  if (config !== undefined) {
    try {
      const text = await readFile(resolveFile(io, config), 'utf8');
      if (Buffer.byteLength(text) > MAX_CONFIG_BYTES) problems.add('--config', `${config}: larger than 1 MiB`);
      else proxies = JSON.parse(text);
    } catch (e) {
      problems.add('--config', `${config}: ${e instanceof SyntaxError ? e.message : describeIoError(e)}`);
    }
  }
  if (!problems.ok) {
    io.stderr.write(`switchyard toxiproxy: ${problems.error().message}\n`);
    return ExitCode.usage;
  }
  const logger = createLogger({ ...log, name: 'toxiproxy', destination: io.stderr });
  let server: Awaited<ReturnType<typeof startToxiproxyServer>>;
  try {
    server = await startToxiproxyServer({ listen: str('listen') ?? '127.0.0.1:8474', logger, proxies });
  } catch (e) {
    io.stderr.write(`switchyard toxiproxy: ${(e as Error).message}\n`);
    return e instanceof ApiError && e.status === 400 ? ExitCode.usage : ExitCode.failure;
  }
  logger.info({ url: server.url, proxies: server.collection.list().length }, 'toxiproxy listening');
  hooks.onListening?.(server.url);
  await (hooks.stopSignal ?? stopSignal());
  await server.close();
  logger.info('toxiproxy stopped');
  return ExitCode.ok;
}
