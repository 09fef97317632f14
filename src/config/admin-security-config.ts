/**
 * The settings that decide who may change a process through its admin-style API and how much it
 * may make it hold: the admin token, request body ceilings, which peers a registry believes,
 * where targets may point and how fast, and the locker ceilings. One block shared by the router
 * (`adminSecurity:` in its YAML, `--admin-token-file`), `switchyard registry` and `switchyard peer`
 * (flags), so the three agree on names and defaults. docs/security.md describes every key.
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { type Fields, readField, unknownFields } from './config-schema.js';
import { isObject, type Problems, type Raw } from './validation.js';

const KIB = 1024;
const MIB = 1024 * KIB;

export interface AdminSecurity {
  /** The bearer token writes need; null leaves them open. */
  readonly token: string | null;
  readonly tokenFile: string | null;
  /** Largest request body on the admin / registry / peer APIs. */
  readonly bodyLimitBytes: number;
  /** A peer may register an address other than its own only inside these. */
  readonly peerCidrs: readonly string[];
  /** When set, targets (and peers) may only be inside these; link-local and metadata never are. */
  readonly targetCidrs: readonly string[] | null;
  readonly maxQps: number;
  readonly lockerMaxKeyBytes: number;
  readonly lockerMaxLabelBytes: number;
  readonly lockerMaxTotalBytes: number;
}

/** Every key of the block: the validator below reads its integers through it, the docs render it. */
export const ADMIN_SECURITY_FIELDS = {
  tokenFile: {
    kind: 'string',
    default: null,
    flag: '--admin-token-file',
    doc: 'A file holding the bearer token every write on the admin API needs (read once at start); without it writes are open to whoever reaches the port.',
  },
  bodyLimitBytes: {
    kind: 'integer',
    default: MIB,
    min: KIB,
    max: 256 * MIB,
    flag: '--body-limit-bytes',
    doc: 'Largest request body the admin, registry and peer APIs read (413 past it).',
  },
  peerCidrs: {
    kind: 'shape',
    type: 'list of CIDRs',
    shown: 'none',
    schema: { type: 'array', items: { type: 'string' } },
    flag: '--peer-cidrs',
    doc: 'A peer may register an address other than the one it connects from only inside these (metadata and link-local addresses never).',
  },
  targetCidrs: {
    kind: 'shape',
    type: 'list of CIDRs',
    shown: 'anywhere but refused addresses',
    schema: { type: ['array', 'null'], items: { type: 'string' } },
    flag: '--target-cidrs',
    doc: 'When set, traffic targets must resolve inside these; link-local and cloud metadata addresses are refused whatever is set.',
  },
  maxQps: {
    kind: 'integer',
    default: 1000,
    min: 1,
    max: 1_000_000,
    flag: '--max-qps',
    doc: 'The highest rate a traffic target may ask for.',
  },
  lockerMaxKeyBytes: {
    kind: 'integer',
    default: MIB,
    min: KIB,
    max: 1024 * MIB,
    flag: '--locker-max-key-bytes',
    doc: 'Largest single locker value (413 past it, nothing stored).',
  },
  lockerMaxLabelBytes: {
    kind: 'integer',
    default: 16 * MIB,
    min: KIB,
    max: 4096 * MIB,
    flag: '--locker-max-label-bytes',
    doc: 'All locker values of one label together.',
  },
  lockerMaxTotalBytes: {
    kind: 'integer',
    default: 64 * MIB,
    min: KIB,
    max: 16384 * MIB,
    flag: '--locker-max-total-bytes',
    doc: 'All locker values together.',
  },
} as const satisfies Fields;

type Key = keyof typeof ADMIN_SECURITY_FIELDS;
export const ADMIN_SECURITY_KEYS = Object.keys(ADMIN_SECURITY_FIELDS) as Key[];

/** Flags as the commands read them (all text). */
export type AdminSecurityFlags = Partial<Record<(typeof ADMIN_SECURITY_KEYS)[number], string>>;

function cidrs(raw: unknown, key: string, p: Problems): string[] | null {
  if (raw === undefined || raw === null) return null;
  const list =
    typeof raw === 'string'
      ? raw
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
      : raw;
  if (!Array.isArray(list) || list.some((x) => typeof x !== 'string')) {
    p.add(key, 'must be a list of CIDRs such as 10.0.0.0/8');
    return null;
  }
  for (const cidr of list as string[]) {
    const [address = '', bits, extra] = cidr.split('/');
    const max = isIP(address) === 6 ? 128 : 32;
    if (
      isIP(address) === 0 ||
      extra !== undefined ||
      (bits !== undefined && !(/^\d+$/.test(bits) && Number(bits) <= max))
    ) {
      p.add(key, `${JSON.stringify(cidr)} is not an address or address/prefix`);
    }
  }
  return list as string[];
}

function readToken(file: string, key: string, p: Problems): string | null {
  try {
    const token = readFileSync(file, 'utf8').trim();
    if (token === '' || /\s/.test(token))
      p.add(key, `${file} must hold one token (no spaces), and holds ${token === '' ? 'nothing' : 'more'}`);
    return token === '' ? null : token;
  } catch (e) {
    p.add(key, `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    return null;
  }
}

/**
 * Validates the block (YAML mapping, flags on top); every problem goes to `p` under `where.key`.
 * The token file is read once, here, before any port is bound: rotating the token means a
 * rolling restart.
 */
export function adminSecurity(raw: unknown, flags: AdminSecurityFlags, where: string, p: Problems): AdminSecurity {
  if (raw !== undefined && !isObject(raw)) p.add(where, 'must be a mapping');
  const o: Raw = isObject(raw) ? raw : {};
  unknownFields(o, ADMIN_SECURITY_FIELDS, where, p);
  const at = (k: string) => (where === '' ? k : `${where}.${k}`);
  const pick = (k: Key) => flags[k] ?? o[k];
  const num = (k: Key) => readField(ADMIN_SECURITY_FIELDS[k], pick(k), at(k), p) as number;
  const tokenFile = pick('tokenFile');
  if (tokenFile !== undefined && (typeof tokenFile !== 'string' || tokenFile === '')) {
    p.add(at('tokenFile'), 'must be a file name');
  }
  const file = typeof tokenFile === 'string' && tokenFile !== '' ? tokenFile : null;
  const settings: AdminSecurity = {
    token: file === null ? null : readToken(file, at('tokenFile'), p),
    tokenFile: file,
    bodyLimitBytes: num('bodyLimitBytes'),
    peerCidrs: cidrs(pick('peerCidrs'), at('peerCidrs'), p) ?? [],
    targetCidrs: cidrs(pick('targetCidrs'), at('targetCidrs'), p),
    maxQps: num('maxQps'),
    lockerMaxKeyBytes: num('lockerMaxKeyBytes'),
    lockerMaxLabelBytes: num('lockerMaxLabelBytes'),
    lockerMaxTotalBytes: num('lockerMaxTotalBytes'),
  };
  if (settings.lockerMaxKeyBytes > settings.lockerMaxLabelBytes) {
    p.add(at('lockerMaxKeyBytes'), 'must not exceed lockerMaxLabelBytes');
  }
  if (settings.lockerMaxLabelBytes > settings.lockerMaxTotalBytes) {
    p.add(at('lockerMaxLabelBytes'), 'must not exceed lockerMaxTotalBytes');
  }
  return settings;
}
