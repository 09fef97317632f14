/**
 * The JSON form of an explanation, exactly as linkerd's /delegate API writes it
 * (`DelegateApiHandler.JsonDelegateTree`): `type`, `path`, `dentry` (left out for the nop
 * dentry), and per type `delegate`, `alt`, `union`, `bound` or `message`. A bound leaf carries its
 * address as soon as it is no longer pending, which is why rendering is asynchronous.
 */
import type { Dentry } from '../dtab/dentry.js';
import type { Path } from '../dtab/path.js';
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
