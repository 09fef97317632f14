/**
 * `switchyard registry`: a standalone goto-style registry (peers, epochs, targets pushed per
 * label, lockers). Flags are checked all at once and reported with exit 64 before the store is
 * opened or a port bound; the store is opened (and its state loaded) before the port is bound.
 */

import { adminSecurity } from '../config/admin-security-config.js';
import { readField } from '../config/config-schema.js';
import { logSettings } from '../config/log-config.js';
import { REGISTRY_FIELDS } from '../config/registry-keys.js';
import { type HostPort, Problems } from '../config/validation.js';
import { SwitchyardError } from '../errors.js';
import { openRegistryStore, registryStoreProblem } from '../registry/open-registry-store.js';
import { Registry } from '../registry/registry.js';
import { buildRegistryApp } from '../registry/registry-app.js';
import { createLogger } from '../telemetry/logger.js';
import { parseDuration } from '../traffic/duration.js';
import { registrySecurity, type SecurityFlag, securityFlags, securityOptions } from './admin-security-flags.js';
import { ExitCode, type Options } from './args.js';
import type { CliIo } from './io.js';
import { stopSignal } from './stop-signal.js';
import { UsageText } from './usage-text.js';

export const registryHelp = new UsageText(
  'switchyard registry',
  `switchyard registry: peers, epochs, label-scoped traffic targets and result lockers (goto-style).

Usage:
  switchyard registry [flags]
  switchyard registry connectivity [--registry URL] [--label L] [--watch] [--json]

Flags:
      --listen HOST:PORT     address of the HTTP API (default 127.0.0.1:4190)
      --store SPEC           memory (default) or redis://host:port/db, which survives restarts
      --push-timeout DUR     time each pod gets to take a pushed change (default 10s)
      --health-path PATH     what the health check calls on each pod (default /health)
      --admin-token-file FILE  bearer token every write needs (registrations, targets, lockers);
                             also sent with every call to peers. Read once at start
      --peer-cidrs LIST      peers may register addresses inside these CIDRs as well as their own
                             source address (default: only their own), e.g. 10.0.0.0/8
      --target-cidrs LIST    targets may only point inside these CIDRs (default: anywhere but
                             link-local, metadata and unspecified addresses)
      --max-qps N            highest qps a target may ask for (default 1000)
      --body-limit-bytes N   largest request body (default 1048576)
      --locker-max-key-bytes N    largest locker value (default 1048576)
      --locker-max-label-bytes N  all lockers of one label (default 16777216)
      --locker-max-total-bytes N  all lockers together (default 67108864)
      --log-level LEVEL      fatal, error, warn, info (default), debug, trace or silent
      --log-format FORMAT    json, pretty, or auto (pretty on a terminal; default)
  -h, --help                 help for registry

Examples:
  switchyard registry --listen 127.0.0.1:4190
  switchyard registry --store redis://127.0.0.1:6379/0
`,
);

const FLAGS: SecurityFlag[] = [
  'admin-token-file',
  'peer-cidrs',
  'target-cidrs',
  'max-qps',
  'body-limit-bytes',
  'locker-max-key-bytes',
  'locker-max-label-bytes',
  'locker-max-total-bytes',
];

const options: Options = {
  help: { type: 'boolean', short: 'h' },
  listen: { type: 'string' },
  store: { type: 'string' },
  'push-timeout': { type: 'string' },
  'health-path': { type: 'string' },
  ...securityOptions(FLAGS),
  'log-level': { type: 'string' },
  'log-format': { type: 'string' },
};

export interface LongRunningHooks {
  readonly stopSignal?: Promise<void>;
  readonly onListening?: (url: string) => void;
}

export async function registryCommand(args: readonly string[], io: CliIo, hooks: LongRunningHooks = {}) {
  // `switchyard registry connectivity`: a client of a running registry, not a registry.
  if (args[0] === 'connectivity')
    return (await import('./connectivity-command.js')).connectivityCommand(args.slice(1), io);
  const { values } = registryHelp.parse(args, options, false);
  if (values.help === true) return registryHelp.print(io);
  const str = (k: string) => values[k] as string | undefined;
  const problems = new Problems();
  const read = (key: keyof typeof REGISTRY_FIELDS, flag: string) =>
    readField(REGISTRY_FIELDS[key], str(flag), `--${flag}`, problems);
  const listen = read('listen', 'listen') as HostPort | undefined;
  const store = read('store', 'store') as string;
  const storeProblem = registryStoreProblem(store);
  if (storeProblem !== null) problems.add('--store', storeProblem);
  const pushTimeout = parseDuration(read('pushTimeout', 'push-timeout') as string);
  if (pushTimeout === null || pushTimeout <= 0) problems.add('--push-timeout', `must be a duration such as 10s`);
  const healthPath = read('healthPath', 'health-path') as string;
  const log = logSettings(undefined, { level: str('log-level'), format: str('log-format') }, problems);
  const security = adminSecurity(undefined, securityFlags(values, FLAGS), '', problems);
  if (!problems.ok || listen === undefined) {
    io.stderr.write(`switchyard registry: ${problems.error().message}\n`);
    return ExitCode.usage;
  }
  const logger = createLogger({ ...log, name: 'registry', destination: io.stderr });
  let registry: Registry;
  let url: string;
  let app: ReturnType<typeof buildRegistryApp>;
  try {
    registry = await Registry.open({
      store: await openRegistryStore(store),
      ...registrySecurity(security),
      fanoutTimeoutMs: pushTimeout!,
      healthPath,
      logger,
    });
    app = buildRegistryApp({ registry, logger, token: security.token, bodyLimit: security.bodyLimitBytes });
    url = await app.listen({ host: listen.host, port: listen.port });
  } catch (e) {
    logger.fatal({ err: e }, 'registry could not start');
    io.stderr.write(`switchyard registry: ${(e as Error).message}\n`);
    return e instanceof SwitchyardError ? ExitCode.failure : ExitCode.software;
  }
  logger.info({ url, store: store.replace(/\/\/[^@/]*@/, '//***@') }, 'registry listening');
  hooks.onListening?.(url);
  await (hooks.stopSignal ?? stopSignal());
  await app.close();
  await registry.close();
  logger.info('registry stopped');
  return ExitCode.ok;
}
