/**
 * `switchyard peer`: a traffic generator on its own, registered with a registry under a label —
 * what a router does with `--registry URL --label L [--locker]`, without the proxy. It serves the
 * /client API and /health, runs a PeerAgent, and on SIGTERM deregisters first, then stops its
 * traffic, then sends its last locker snapshots, then closes.
 */
import { adminSecurity } from '../config/admin-security-config.js';
import { logSettings } from '../config/log-config.js';
import { REGISTRY_PEER_FIELDS } from '../config/registry-keys.js';
import { hostPort, Problems } from '../config/validation.js';
import { PeerAgent } from '../registry/peer-agent.js';
import { createLogger } from '../telemetry/logger.js';
import { buildClientApp } from '../traffic/client-app.js';
import { parseDuration } from '../traffic/duration.js';
import { TrafficClient } from '../traffic/traffic-client.js';
import { type SecurityFlag, securityFlags, securityOptions, trafficPolicyOf } from './admin-security-flags.js';
import { ExitCode, type Options } from './args.js';
import { type CliIo, envOf } from './io.js';
import type { LongRunningHooks } from './registry-command.js';
import { stopSignal } from './stop-signal.js';
import { UsageText } from './usage-text.js';

export const peerHelp = new UsageText(
  'switchyard peer',
  `switchyard peer: a traffic generator that registers with a registry and takes its targets from it.

Usage:
  switchyard peer --registry URL --label LABEL [flags]

Flags:
      --registry URL           the registry, e.g. http://127.0.0.1:4190 (required)
      --label LABEL            this peer's label at the registry (required)
      --locker                 stream results to the registry's locker
      --listen HOST:PORT       address of the /client API (default 127.0.0.1:0, any free port)
      --advertise HOST:PORT    address the registry calls back (default: $POD_IP with the bound
                               port when POD_IP is set, else the bound address)
      --remember-interval DUR  how often to remind the registry (default 5s)
      --locker-interval DUR    how often to send running targets' results (default 3s)
      --results-interval DUR   length of a results interval (default 5s)
      --ping-interval DUR      ping the label's other pods this often and report the row to the
                               registry's connectivity matrix (default 2s; 0: off)
      --ping-timeout DUR       a ping slower than this is a failure (default 300ms)
      --ping-max-peers N       most pods pinged in one round (default 64, at most 64)
      --ping-via HOST:PORT     ping through this router's listener (the destination as Host)
                               instead of directly; see docs/connectivity.md
      --admin-token-file FILE  bearer token the /client API's writes need; also sent to the
                               registry (one token for the mesh). Read once at start
      --target-cidrs LIST      targets may only point inside these CIDRs (default: anywhere but
                               link-local, metadata and unspecified addresses)
      --max-qps N              highest qps a target may ask for (default 1000)
      --body-limit-bytes N     largest request body (default 1048576)
      --log-level LEVEL        fatal, error, warn, info (default), debug, trace or silent
      --log-format FORMAT      json, pretty, or auto (default)
  -h, --help                   help for peer

Identity comes from POD_IP, POD_NAME, NAMESPACE, NODE_NAME and CLUSTER when set.
`,
);

const FLAGS: SecurityFlag[] = ['admin-token-file', 'target-cidrs', 'max-qps', 'body-limit-bytes'];

const options: Options = {
  help: { type: 'boolean', short: 'h' },
  registry: { type: 'string' },
  label: { type: 'string' },
  locker: { type: 'boolean' },
  listen: { type: 'string' },
  advertise: { type: 'string' },
  'remember-interval': { type: 'string' },
  'locker-interval': { type: 'string' },
  'results-interval': { type: 'string' },
  'ping-interval': { type: 'string' },
  'ping-timeout': { type: 'string' },
  'ping-max-peers': { type: 'string' },
  'ping-via': { type: 'string' },
  ...securityOptions(FLAGS),
  'log-level': { type: 'string' },
  'log-format': { type: 'string' },
};

function durationFlag(text: string, key: string, problems: Problems): number {
  const ms = parseDuration(text);
  if (ms === null || ms <= 0) problems.add(key, `must be a duration such as 500ms or 5s, got ${JSON.stringify(text)}`);
  return ms ?? 0;
}

export async function peerCommand(args: readonly string[], io: CliIo, hooks: LongRunningHooks = {}) {
  const { values } = peerHelp.parse(args, options, false);
  if (values.help === true) return peerHelp.print(io);
  const str = (k: string) => values[k] as string | undefined;
  const problems = new Problems();
  const registryUrl = str('registry');
  if (registryUrl === undefined || !/^https?:\/\/./.test(registryUrl) || !URL.canParse(registryUrl)) {
    problems.add('registry', `must be an http:// URL, got ${JSON.stringify(registryUrl)}`);
  }
  const label = str('label');
  if (label === undefined || !/^[A-Za-z0-9][A-Za-z0-9._~-]*$/.test(label)) {
    problems.add('label', `must be a label (letters, digits, . _ ~ -), got ${JSON.stringify(label)}`);
  }
  const listen = hostPort(str('listen') ?? '127.0.0.1:0', 'listen', problems);
  const advertise = str('advertise');
  if (advertise !== undefined) hostPort(advertise, 'advertise', problems);
  const rememberMs = durationFlag(str('remember-interval') ?? '5s', 'remember-interval', problems);
  const lockerMs = durationFlag(str('locker-interval') ?? '3s', 'locker-interval', problems);
  const intervalMs = durationFlag(str('results-interval') ?? '5s', 'results-interval', problems);
  // The defaults and bounds a router's `registry:` section has (one table for both).
  const { pingIntervalMs, pingTimeoutMs: pingTimeout, pingMaxPeers } = REGISTRY_PEER_FIELDS;
  const pingEvery = str('ping-interval') ?? `${pingIntervalMs.default}ms`;
  const pingMs = parseDuration(pingEvery) === 0 ? 0 : durationFlag(pingEvery, 'ping-interval', problems);
  const pingTimeoutMs = durationFlag(str('ping-timeout') ?? `${pingTimeout.default}ms`, 'ping-timeout', problems);
  const via = str('ping-via');
  if (via !== undefined) hostPort(via, 'ping-via', problems);
  const maxPeers = Number(str('ping-max-peers') ?? pingMaxPeers.default);
  if (!Number.isInteger(maxPeers) || maxPeers < pingMaxPeers.min || maxPeers > pingMaxPeers.max) {
    problems.add(
      'ping-max-peers',
      `must be an integer from ${pingMaxPeers.min} to ${pingMaxPeers.max}, got ${JSON.stringify(str('ping-max-peers'))}`,
    );
  }
  const log = logSettings(undefined, { level: str('log-level'), format: str('log-format') }, problems);
  const security = adminSecurity(undefined, securityFlags(values, FLAGS), '', problems);
  if (!problems.ok || listen === undefined) {
    io.stderr.write(`switchyard peer: ${problems.error().message}\n`);
    return ExitCode.usage;
  }
  const logger = createLogger({ ...log, name: 'peer', destination: io.stderr });
  const client = new TrafficClient({ intervalMs, policy: trafficPolicyOf(security) });
  const app = buildClientApp({ client, logger, token: security.token, bodyLimit: security.bodyLimitBytes });
  let url: string;
  try {
    url = await app.listen({ host: listen.host, port: listen.port });
  } catch (e) {
    io.stderr.write(`switchyard peer: ${(e as Error).message}\n`);
    return ExitCode.failure;
  }
  const env = envOf(io);
  const agent = new PeerAgent({
    registryUrl: registryUrl!,
    label: label!,
    address: advertise ?? (env.POD_IP ? `${env.POD_IP}:${new URL(url).port}` : new URL(url).host),
    traffic: client,
    locker: values.locker === true,
    rememberIntervalMs: rememberMs,
    lockerIntervalMs: lockerMs,
    ...(pingMs > 0
      ? { ping: { intervalMs: pingMs, timeoutMs: pingTimeoutMs, maxPeers, ...(via === undefined ? {} : { via }) } }
      : {}),
    token: security.token,
    logger,
    ...(env.POD_NAME ? { pod: env.POD_NAME } : {}),
    ...(env.NAMESPACE ? { namespace: env.NAMESPACE } : {}),
    ...(env.NODE_NAME ? { node: env.NODE_NAME } : {}),
    ...(env.CLUSTER ? { cluster: env.CLUSTER } : {}),
  });
  logger.info({ url, registry: registryUrl, label }, 'peer listening');
  hooks.onListening?.(url);
  const started = agent.start();
  await (hooks.stopSignal ?? stopSignal());
  await agent.stop();
  await started;
  await client.close();
  await agent.close();
  await app.close();
  logger.info('peer stopped');
  return ExitCode.ok;
}
