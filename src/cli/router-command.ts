/**
 * `switchyard router`: reads the configuration (defaults, `--config FILE`, flags), reports every
 * problem and exits 64 before any port is bound, then routes until SIGTERM or SIGINT. A signal
 * starts a drain (as `POST /prestop` does): not ready, still serving for the grace period, then
 * connections close politely and the process exits 0. The admin port also carries the traffic
 * generator (`/client/…`) and a registry (`/registry/…`); with `--registry URL` the router
 * registers there as a traffic peer under its label, and deregisters before it drains. A drain
 * started on the admin port (`/prestop`, `/admin/shutdown`) ends the process too, once it is
 * over, exactly as a signal does: a drained router that stayed up would look alive and serve
 * nothing.
 */
import { readFile } from 'node:fs/promises';
import { type RouterConfigs, routerConfigs } from '../config/linkerd-format.js';
import type { RouterFlags } from '../config/router-config.js';
import { SwitchyardError } from '../errors.js';
import { PeerAgent } from '../registry/peer-agent.js';
import { Registry } from '../registry/registry.js';
import { registerRegistryRoutes } from '../registry/registry-routes.js';
import { type Readiness, type RunningRouter, startRouter } from '../router/router.js';
import { createLogger } from '../telemetry/logger.js';
import { registerClientRoutes } from '../traffic/client-routes.js';
import { TrafficClient } from '../traffic/traffic-client.js';
import { registrySecurity, trafficPolicyOf } from './admin-security-flags.js';
import { ExitCode, type Options } from './args.js';
import { type CliIo, resolveFile } from './io.js';
import { stopSignal } from './stop-signal.js';
import { UsageText } from './usage-text.js';

export const routerHelp = new UsageText(
  'switchyard router',
  `switchyard router: the per-pod routing proxy.

Usage:
  switchyard router [flags]

Flags:
      --config FILE         YAML configuration (flags override it): switchyard's keys, or
                            linkerd's (routers:, one router per entry; docs/config.md)
      --listen HOST:PORT    where requests arrive (default 127.0.0.1:4140)
      --admin HOST:PORT     admin port: /ready, /prestop, /admin/metrics, /delegator.json (default 127.0.0.1:9990)
      --dtab FILE           base dtab from a file, watched for changes
      --namerd URL          base dtab from namerd, watched (with --namespace, default "default")
      --namespace NS        the namerd namespace
      --dtab-cache FILE     last-known-good copy of namerd's dtab, used if namerd is down at start
      --fs-dir DIR          mount the io.l5d.fs namer on DIR at /#/io.l5d.fs
      --k8s-api URL         mount the io.l5d.k8s namer at /#/io.l5d.k8s, against this Kubernetes API
                            (e.g. http://127.0.0.1:8001 from kubectl proxy)
      --label NAME          the router's name in metrics (default http)
      --drain-grace-ms MS   how long a drain keeps serving (default 10000)
      --registry URL        register as a traffic peer with this registry (under --label)
      --locker              send traffic results to the registry's locker (with --registry)
      --admin-token-file FILE  bearer token the admin port's writes need (/prestop POST,
                            /admin/shutdown, /client and /registry writes); read once at start.
                            Also sent to --registry. More in the adminSecurity block (docs/security.md)
      --log-level LEVEL     fatal, error, warn, info (default), debug, trace or silent
      --log-format FORMAT   json, pretty, or auto (pretty on a terminal; default)
  -h, --help                help for router

Examples:
  switchyard router --dtab dtabs/default.dtab --fs-dir ./disco
  switchyard router --namerd http://127.0.0.1:4180 --namespace default
`,
);

const options: Options = {
  help: { type: 'boolean', short: 'h' },
  config: { type: 'string' },
  listen: { type: 'string' },
  admin: { type: 'string' },
  dtab: { type: 'string' },
  namerd: { type: 'string' },
  namespace: { type: 'string' },
  'dtab-cache': { type: 'string' },
  'fs-dir': { type: 'string' },
  'k8s-api': { type: 'string' },
  label: { type: 'string' },
  'drain-grace-ms': { type: 'string' },
  registry: { type: 'string' },
  locker: { type: 'boolean' },
  'admin-token-file': { type: 'string' },
  'log-level': { type: 'string' },
  'log-format': { type: 'string' },
};

const FLAG_KEYS: Record<string, keyof RouterFlags> = {
  listen: 'listen',
  admin: 'admin',
  dtab: 'dtab',
  namerd: 'namerd',
  namespace: 'namespace',
  'dtab-cache': 'dtabCache',
  'fs-dir': 'fsDir',
  'k8s-api': 'k8sApi',
  label: 'label',
  'drain-grace-ms': 'drainGraceMs',
  registry: 'registry',
  'admin-token-file': 'adminTokenFile',
  'log-level': 'logLevel',
  'log-format': 'logFormat',
};

export async function routerCommand(args: readonly string[], io: CliIo): Promise<number> {
  const { values } = routerHelp.parse(args, options, false);
  if (values.help === true) return routerHelp.print(io);
  const flags: Record<string, string | boolean> = {};
  for (const [flag, key] of Object.entries(FLAG_KEYS)) {
    const v = values[flag];
    if (typeof v === 'string') flags[key] = v;
  }
  if (values.locker === true) flags.locker = true;
  let loaded: RouterConfigs;
  try {
    const file = values.config as string | undefined;
    const text = file === undefined ? null : await readFile(resolveFile(io, file), 'utf8');
    // Switchyard's flat keys, or linkerd's `routers:` list (several routers, one admin port).
    loaded = routerConfigs(text, flags as RouterFlags, file ?? 'config');
  } catch (e) {
    io.stderr.write(`switchyard router: ${e instanceof SwitchyardError ? e.message : (e as Error).message}\n`);
    return ExitCode.usage;
  }
  const config = loaded.routers[0]!;
  const logger = createLogger({ ...config.log, name: 'router', destination: io.stderr });
  for (const warning of loaded.warnings) logger.warn({ warning }, `config: ${warning}`);
  // Every router is also a traffic source (/client) and can serve as the registry (/registry).
  const security = config.adminSecurity;
  const traffic = new TrafficClient({ policy: trafficPolicyOf(security) });
  const registry = await Registry.open({ ...registrySecurity(security), logger });
  const routers: RunningRouter[] = [];
  // The first router owns the admin port; /ready there is ready when every router is.
  const othersReady = (): Readiness =>
    routers
      .slice(1)
      .find((r) => !r.readiness().ready)
      ?.readiness() ?? { ready: routers.length === loaded.routers.length };
  let router: RunningRouter;
  try {
    router = await startRouter(config, logger, {
      admin: (app) => {
        registerClientRoutes(app, { client: traffic });
        registerRegistryRoutes(app, { registry });
      },
      ...(loaded.routers.length > 1 ? { othersReady } : {}),
    });
    routers.push(router);
    for (const other of loaded.routers.slice(1)) {
      const sharedAdmin = { metrics: router.metrics, adminUrl: router.adminUrl, faults: router.faults };
      routers.push(await startRouter(other, logger.child({ router: other.label }), { sharedAdmin }));
    }
  } catch (e) {
    await Promise.all(routers.map((r) => r.close()));
    await traffic.close();
    await registry.close();
    const usage = e instanceof SwitchyardError && e.code === 'SY_ERR_CONFIG_INVALID';
    logger.fatal({ err: e }, 'router could not start');
    io.stderr.write(`switchyard router: ${(e as Error).message}\n`);
    return usage ? ExitCode.usage : ExitCode.failure;
  }
  const agent =
    config.registry.url === null
      ? null
      : new PeerAgent({
          registryUrl: config.registry.url,
          label: config.label,
          address: process.env.POD_IP
            ? `${process.env.POD_IP}:${new URL(router.adminUrl).port}`
            : new URL(router.adminUrl).host,
          traffic,
          locker: config.registry.locker,
          token: security.token,
          logger,
          ...(process.env.POD_NAME ? { pod: process.env.POD_NAME } : {}),
          ...(process.env.NAMESPACE ? { namespace: process.env.NAMESPACE } : {}),
        });
  const registered = agent?.start();
  // Whichever comes first: a signal, or the end of a drain started on the admin port.
  const signal = await Promise.race([stopSignal(), router.drained.then((reason) => `drained (${reason})`)]);
  // Deregister first, so the registry stops sending targets to a pod that is going away.
  await agent?.stop();
  await registered;
  await Promise.all(routers.map((r) => r.drain(signal)));
  await traffic.close();
  await agent?.close();
  await Promise.all(routers.map((r) => r.close()));
  await registry.close();
  logger.info('router stopped');
  return ExitCode.ok;
}
