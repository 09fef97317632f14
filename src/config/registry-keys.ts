/**
 * The flags of `switchyard registry` (it has no configuration file): what the command validates
 * through, and what docs/config.md renders. The admin-security and log flags are shared blocks.
 */
import type { Fields } from './config-schema.js';

export const REGISTRY_FIELDS = {
  listen: {
    kind: 'hostPort',
    default: '127.0.0.1:4190',
    flag: '--listen',
    doc: "Where the registry's HTTP API listens.",
  },
  store: {
    kind: 'string',
    default: 'memory',
    flag: '--store',
    doc: 'Where peers, targets and lockers live: `memory` (lost on restart; peers register again) or `redis://host:port/db`.',
  },
  pushTimeout: {
    kind: 'string',
    default: '10s',
    flag: '--push-timeout',
    doc: 'Time each pod gets to take a pushed change (a duration: `500ms`, `10s`, `1m30s`).',
  },
  healthPath: {
    kind: 'string',
    default: '/health',
    flag: '--health-path',
    pattern: /^\//,
    patternDoc: 'must start with /',
    doc: 'What the registry calls on each pod to check it.',
  },
} as const satisfies Fields;

/**
 * A traffic peer's membership in a registry (a router's `registry:` section; `switchyard peer`
 * takes the same flags with these defaults): where to register, the locker, and connectivity pings.
 */
export const REGISTRY_PEER_FIELDS = {
  url: { kind: 'string', default: null, flag: '--registry', doc: "The registry's address, `http://host:port`." },
  locker: {
    kind: 'boolean',
    default: false,
    flag: '--locker',
    doc: "Store the traffic generator's results in the registry's locker.",
  },
  pingIntervalMs: {
    kind: 'integer',
    default: 2_000,
    min: 0,
    max: 3_600_000,
    flag: '--ping-interval',
    doc: "How often the router pings the other pods of its label and reports the row to the registry's connectivity matrix (docs/connectivity.md); 0 turns pinging off. The flag takes a duration (`500ms`, `2s`).",
  },
  pingTimeoutMs: {
    kind: 'integer',
    default: 300,
    min: 1,
    max: 600_000,
    flag: '--ping-timeout',
    doc: 'How long one ping may take before it counts as a failure (unhealthy). The flag takes a duration.',
  },
  pingMaxPeers: {
    kind: 'integer',
    default: 64,
    min: 1,
    max: 64,
    flag: '--ping-max-peers',
    doc: 'Most pods pinged in one round; a larger label is covered in turns.',
  },
  pingVia: {
    kind: 'string',
    default: null,
    flag: '--ping-via',
    pattern: /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+):\d{1,5}$/,
    patternDoc: 'must be host:port',
    doc: "A router listener (`host:port`) the pings go through, with the destination's address as Host, so they take the mesh's route instead of the direct one; unset: direct.",
  },
} as const satisfies Fields;
