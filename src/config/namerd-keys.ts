/**
 * Every key of namerd's YAML configuration, with its type, default and meaning: namerd-config.ts
 * validates through this table, and docs/config.md and the JSON Schema are rendered from it.
 */
import type { Fields } from './config-schema.js';
import { LOG_FIELDS } from './log-config.js';
import { NAMERS_SCHEMA } from './namer-keys.js';

export const NAMERD_FIELDS: Fields = {
  listen: {
    kind: 'hostPort',
    default: '127.0.0.1:4180',
    flag: '--listen',
    doc: "Where namerd's HTTP API (`/api/1/…`) listens.",
  },
  admin: {
    kind: 'hostPort',
    default: '127.0.0.1:9991',
    flag: '--admin',
    doc: "namerd's admin port, as namerd's: `/metrics`, `/admin/metrics.json`, `/ready`, `/healthz`, `/admin/ping`. When `listen` asks for port 0 and `admin` is not given, the system picks this port too.",
  },
  store: {
    kind: 'string',
    default: 'file:./.switchyard/dtabs',
    flag: '--store',
    pattern: /^(memory|file:.+|redis:\/\/[^/:]+(:\d{1,5})?(\/\d{1,2})?)$/,
    patternDoc: 'must be memory, file:DIR or redis://host:port/db',
    doc: 'Where dtabs live: `memory` (lost on exit), `file:DIR` (durable, one namerd per directory) or `redis://host:port/db` (shared by replicas).',
  },
  tokenFile: {
    kind: 'string',
    default: null,
    flag: '--token-file',
    doc: 'A file holding the bearer token that writes must carry; without it writes are open to anyone who can reach namerd.',
  },
  historyLimit: {
    kind: 'integer',
    default: 100,
    min: 1,
    max: 100_000,
    flag: '--history-limit',
    doc: 'Versions of each namespace kept for `namectl dtab history` and rollback.',
  },
  heartbeatMs: {
    kind: 'integer',
    default: 10_000,
    min: 50,
    max: 3_600_000,
    doc: 'How often a watch stream with nothing to say sends a heartbeat, so a dead connection shows.',
  },
  requestTimeoutMs: {
    kind: 'integer',
    default: 2_000,
    min: 10,
    max: 600_000,
    doc: 'How long `/api/1/bind` and `/api/1/delegate` may wait for names to resolve.',
  },
  watchHighWaterBytes: {
    kind: 'integer',
    default: 1024 * 1024,
    min: 1024,
    max: 1024 * 1024 * 1024,
    doc: 'Unsent bytes one watch stream may hold before namerd cuts the watcher off (it reconnects and gets the current state), so a client that stops reading cannot make namerd buffer without end.',
  },
  maxMessageBytes: {
    kind: 'integer',
    default: 1024,
    min: 1,
    max: 64 * 1024,
    doc: 'Longest write message (`X-Dtab-Message` or `?message=`) accepted, in UTF-8 bytes; control characters are always refused.',
  },
  maxDentries: {
    kind: 'integer',
    default: 100,
    min: 1,
    max: 10_000,
    doc: 'Dentries the dtab a caller sends to `/api/1/bind` or `/api/1/delegate` may hold (400 past it, counted before parsing).',
  },
  maxBindLookups: {
    kind: 'integer',
    default: 1000,
    min: 10,
    max: 1_000_000,
    doc: 'Lookups one bind or delegation may cost: 400 past it, so a doubling dtab cannot hold namerd busy.',
  },
  namers: {
    kind: 'shape',
    type: 'list of namers',
    shown: 'none',
    schema: NAMERS_SCHEMA,
    flag: '--namers',
    doc: 'Namers that `/api/1/bind` and `/api/1/delegate` use, as in the router; `--namers kind=arg` adds one.',
  },
  log: { kind: 'section', custom: true, doc: 'Log output.', fields: LOG_FIELDS },
};
