/**
 * namerd's bound-tree and Addr JSON read back, as the router's namerd interpreter reads its bind
 * and addr streams: every tree namerd writes reads back to the same tree (property), and anything
 * else, however deep or odd, is an Error naming what was wrong, never a crash or a guess.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Dentry } from '../../src/dtab/dentry.js';
import { NameTree } from '../../src/dtab/name-tree.js';
import { Path } from '../../src/dtab/path.js';
import { pickLeaf } from '../../src/namerd/bind-routes.js';
import { Addr } from '../../src/naming/addr.js';
import { Bound } from '../../src/naming/bound.js';
import { addrFromJson, addrToJson, boundTreeFromJson, delegateTreeToJson } from '../../src/naming/delegate-json.js';
import { type DelegateTree, fromNameTree } from '../../src/naming/delegate-tree.js';
import { Var } from '../../src/naming/var.js';
import { tree as pathTree } from '../helpers/dtab-arbitraries.js';

const addr = Addr.bound([Addr.address('127.0.0.1', 8080, { endpoint_addr_weight: 2 })], { zone: 'a' });

const at = Path.read('/svc/x');

/** Each Path leaf becomes a Bound with that id. */
const boundTree = pathTree.map((t) => NameTree.map(t, (p: Path) => new Bound(Var.value(addr), p)));

/** JSON has no NaN or Infinity; namerd never writes them (a dtab's weights are finite). */
function finiteWeights(t: NameTree<Bound>): boolean {
  if (t.type === 'union') return t.trees.every((w) => Number.isFinite(w.weight) && finiteWeights(w.tree));
  if (t.type === 'alt') return t.trees.every(finiteWeights);
  return true;
}

const shown = (t: NameTree<{ id: Path }>): string =>
  t.type === 'leaf'
    ? t.value.id.show()
    : t.type === 'alt'
      ? `(${t.trees.map(shown).join('|')})`
      : t.type === 'union'
        ? `(${t.trees.map((w) => `${w.weight}*${shown(w.tree)}`).join('&')})`
        : t.type;

describe("namerd's bound-tree JSON", () => {
  it('reads back every tree namerd writes', async () => {
    await fc.assert(
      fc.asyncProperty(boundTree.filter(finiteWeights), async (t) => {
        const json = JSON.parse(
          JSON.stringify(await delegateTreeToJson(fromNameTree(at, Dentry.nop, t) as DelegateTree<Bound>, false)),
        );
        const back = boundTreeFromJson(json, (id, residual) => ({ id, residual }));
        expect(shown(back)).toBe(shown(t));
      }),
      { numRuns: 200 },
    );
  });

  it('refuses what is not a tree, with a reason, and caps the depth', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (j) => {
        try {
          boundTreeFromJson(j, (id) => id);
        } catch (e) {
          expect(e).toBeInstanceOf(Error);
        }
      }),
      { numRuns: 500 },
    );
    let deep: unknown = { type: 'neg' };
    for (let i = 0; i < 500; i++) deep = { type: 'delegate', path: '/a', delegate: deep };
    expect(() => boundTreeFromJson(deep, (id) => id)).toThrow(/deeper than 100/);
    expect(() => boundTreeFromJson({ type: 'leaf', bound: { id: 'nope' } }, (id) => id)).toThrow();
    expect(() => boundTreeFromJson({ type: 'exception', message: 'boom' }, (id) => id)).toThrow('boom');
  });

  it('reads Addr JSON back, and refuses a bad port', () => {
    for (const a of [addr, Addr.Neg, Addr.Pending, Addr.failed(new Error('gone'))]) {
      expect(addrToJson(addrFromJson(JSON.parse(JSON.stringify(addrToJson(a)))))).toEqual(addrToJson(a));
    }
    expect(() => addrFromJson({ type: 'bound', addrs: [{ ip: '127.0.0.1', port: 70000 }] })).toThrow(/port/);
    expect(() => addrFromJson({ type: 'what' })).toThrow(/unknown type/);
  });

  it("resolve's draw follows the weights and takes an Alt's first member that has a leaf", () => {
    const a = new Bound(Var.value(addr), Path.read('/a'));
    const b = new Bound(Var.value(addr), Path.read('/b'));
    const union = NameTree.union(NameTree.weighted(1, NameTree.leaf(a)), NameTree.weighted(3, NameTree.leaf(b)));
    expect(pickLeaf(union, () => 0.2)?.show()).toBe('/a');
    expect(pickLeaf(union, () => 0.3)?.show()).toBe('/b');
    expect(pickLeaf(NameTree.alt(NameTree.Neg, NameTree.leaf(b)))?.show()).toBe('/b');
    expect(pickLeaf(NameTree.Fail)).toBeNull();
  });
});
