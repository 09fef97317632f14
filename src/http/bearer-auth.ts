/**
 * Bearer-token protection for writes, on namerd's API and on the admin ports (router, registry,
 * traffic peer). namerd had none (only ZooKeeper ACLs); with a token configured every write needs
 * `Authorization: Bearer <token>` (401 without one, 403 with a wrong one) while reads stay open,
 * so routers, probes and dashboards need no secret.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createError } from '../errors.js';

const digest = (s: string) => createHash('sha256').update(s).digest();

export class WriteAuth {
  readonly #expected: Buffer | null;

  constructor(token: string | null) {
    this.#expected = token === null ? null : digest(token);
  }

  get enabled(): boolean {
    return this.#expected !== null;
  }

  /** Throws SY_ERR_UNAUTHORIZED or SY_ERR_FORBIDDEN; comparing digests keeps the check constant-time. */
  check(authorization: string | undefined): void {
    if (this.#expected === null) return;
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    if (m === null) throw createError('SY_ERR_UNAUTHORIZED');
    if (!timingSafeEqual(digest(m[1]!), this.#expected)) throw createError('SY_ERR_FORBIDDEN');
  }
}
