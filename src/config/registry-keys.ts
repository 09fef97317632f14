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
