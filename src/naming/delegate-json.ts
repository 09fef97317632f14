/**
 * The JSON form of an explanation, exactly as linkerd's /delegate API writes it
 * (`DelegateApiHandler.JsonDelegateTree`): `type`, `path`, `dentry` (left out for the nop
 * dentry), and per type `delegate`, `alt`, `union`, `bound` or `message`. A bound leaf carries its
 * address as soon as it is no longer pending, which is why rendering is asynchronous.
 */
import type { Dentry } from '../dtab/dentry.js';
import { NameTree } from '../dtab/name-tree.js';
import { Path } from '../dtab/path.js';
import type { Addr } from './addr.js';
import type { Bound } from './bound.js';
import { type DelegateTree, isNop } from './delegate-tree.js';

export type JsonAddr =
  | { type: 'pending' }
  | { type: 'neg' }
  | { type: 'failed'; cause: string }
  | {
      type: 'bound';
      addrs: { ip: string; port: number; meta: Record<string, unknown> }[];
      meta: Record<string, unknown>;
    };

export interface JsonBound {
  addr: JsonAddr;
  id: string;
  path: string;
}

export interface JsonDelegateTree {
  type: DelegateTree<unknown>['type'];
  path: string;
  dentry?: { prefix: string; dst: string };
  delegate?: JsonDelegateTree;
  alt?: JsonDelegateTree[];
  union?: { weight: number; tree: JsonDelegateTree }[];
  bound?: JsonBound;
  message?: string;
}

const FAIL_PREFIX = ['$', 'fail'];

export function addrToJson(addr: Addr): JsonAddr {
  switch (addr.type) {
    case 'pending':
    case 'neg':
      return { type: addr.type };
    case 'failed':
      return { type: 'failed', cause: addr.error.message };
    case 'bound':
      return {
        type: 'bound',
        addrs: addr.addresses.map((a) => ({ ip: a.host, port: a.port, meta: { ...a.meta } })),
        meta: { ...addr.meta },
      };
  }
}

/** `addrs` waits for the first non-pending address of each bound leaf; pass false to report what is there now. */
export async function delegateTreeToJson(tree: DelegateTree<Bound>, waitForAddrs = true): Promise<JsonDelegateTree> {
  const base = (path: string, dentry: Dentry): JsonDelegateTree => ({
    type: tree.type,
    path,
    ...(isNop(dentry) ? {} : { dentry: { prefix: dentry.prefix.show(), dst: dentry.toJSON().dst } }),
  });
  switch (tree.type) {
    case 'exception':
      return { ...base(tree.path.show(), tree.dentry), message: tree.error.message };
    case 'empty':
      return base(tree.path.show(), tree.dentry);
    case 'fail':
      return base(startsWith(tree.path, FAIL_PREFIX) ? tree.path.show() : '!', tree.dentry);
    case 'neg':
      return base(tree.path.isEmpty ? '~' : tree.path.show(), tree.dentry);
    case 'delegate':
      return { ...base(tree.path.show(), tree.dentry), delegate: await delegateTreeToJson(tree.tree, waitForAddrs) };
    case 'alt':
      return {
        ...base(tree.path.show(), tree.dentry),
        alt: await Promise.all(tree.trees.map((t) => delegateTreeToJson(t, waitForAddrs))),
      };
    case 'union':
      return {
        ...base(tree.path.show(), tree.dentry),
        union: await Promise.all(
          tree.trees.map(async (w) => ({ weight: w.weight, tree: await delegateTreeToJson(w.tree, waitForAddrs) })),
        ),
      };
    case 'leaf': {
      const b = tree.value;
      const addr = waitForAddrs ? await b.addr.first((a) => a.type !== 'pending') : b.addr.sample();
      return {
        ...base(tree.path.show(), tree.dentry),
        bound: { addr: addrToJson(addr), id: b.id.show(), path: b.residual.show() },
      };
    }
  }
}

function startsWith(path: Path, elems: readonly string[]): boolean {
  return elems.every((e, i) => path.elems[i] === e);
}

/**
 * Reading namerd's answers back (what a client of `/api/1/bind` and `/api/1/addr` does): anything
 * that is not one of the shapes above is an error naming what was wrong, never a guess.
 */
export function addrFromJson(json: unknown): Addr {
  const o = asObject(json, 'addr');
  switch (o.type) {
    case 'pending':
      return { type: 'pending' };
    case 'neg':
      return { type: 'neg' };
    case 'failed':
      return { type: 'failed', error: new Error(typeof o.cause === 'string' ? o.cause : 'failed') };
    case 'bound': {
      if (!Array.isArray(o.addrs)) throw new Error('addr: "addrs" must be a list');
      const addresses = o.addrs.map((a, i) => {
        const x = asObject(a, `addrs[${i}]`);
        if (
          typeof x.ip !== 'string' ||
          !Number.isInteger(x.port) ||
          (x.port as number) < 0 ||
          (x.port as number) > 65535
        )
          throw new Error(`addrs[${i}]: needs "ip" and a "port" in 0–65535`);
        return { host: x.ip, port: x.port as number, meta: metaOf(x.meta) };
      });
      return { type: 'bound', addresses, meta: metaOf(o.meta) };
    }
    default:
      throw new Error(`addr: unknown type ${JSON.stringify(o.type)}`);
  }
}

/**
 * A bound tree from `/api/1/bind`'s JSON: leaves become names through `leaf(id, residual)` (the
 * client decides where their addresses come from), `delegate` nodes are looked through, and
 * `exception` nodes fail the tree. Depth is capped, as a bind's is.
 */
export function boundTreeFromJson<B>(json: unknown, leaf: (id: Path, residual: Path) => B, depth = 0): NameTree<B> {
  if (depth > 100) throw new Error('bound tree deeper than 100');
  const o = asObject(json, 'tree');
  const sub = (j: unknown) => boundTreeFromJson(j, leaf, depth + 1);
  switch (o.type) {
    case 'neg':
      return NameTree.Neg;
    case 'fail':
      return NameTree.Fail;
    case 'empty':
      return NameTree.Empty;
    case 'exception':
      throw new Error(typeof o.message === 'string' ? o.message : 'namerd could not bind the name');
    case 'delegate':
      return sub(o.delegate);
    case 'alt':
      if (!Array.isArray(o.alt)) throw new Error('alt: "alt" must be a list');
      return NameTree.alt(...o.alt.map(sub));
    case 'union':
      if (!Array.isArray(o.union)) throw new Error('union: "union" must be a list');
      return NameTree.union(
        ...o.union.map((w, i) => {
          const x = asObject(w, `union[${i}]`);
          if (typeof x.weight !== 'number' || !Number.isFinite(x.weight))
            throw new Error(`union[${i}]: needs a weight`);
          return NameTree.weighted(x.weight, sub(x.tree));
        }),
      );
    case 'leaf': {
      const b = asObject(o.bound, 'leaf.bound');
      if (typeof b.id !== 'string') throw new Error('leaf.bound: needs an "id"');
      const residual = typeof b.path === 'string' && b.path !== '/' ? Path.read(b.path) : Path.empty;
      return NameTree.leaf(leaf(Path.read(b.id), residual));
    }
    default:
      throw new Error(`tree: unknown type ${JSON.stringify(o.type)}`);
  }
}

function asObject(json: unknown, what: string): Record<string, unknown> {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new Error(`${what}: expected an object`);
  return json as Record<string, unknown>;
}

function metaOf(json: unknown): Record<string, unknown> {
  return json !== null && typeof json === 'object' && !Array.isArray(json) ? { ...(json as object) } : {};
}
