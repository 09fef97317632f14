/**
 * The `delegate` (binding) and `delegate_tree` (explainer) cases of the shared vectors, run
 * through the real interpreter with the namers the reference tests use.
 */
import { describe, expect, it } from 'vitest';
import {
  type Bound,
  type BoundTree,
  bind,
  Dtab,
  delegate,
  delegateTreeToJson,
  type InterpreterOptions,
  type JsonDelegateTree,
  NameTree,
  Path,
} from '../../src/index.js';
import { errorNamer, rewritingTestNamer, testNamer } from '../helpers/test-namers.js';
import { loadVectors } from '../helpers/vector-file.js';

const vectors = loadVectors();

/** Leaves in tree order, with the weight the interpreter carried down to each. */
function leavesOf(tree: BoundTree): Bound[] {
  switch (tree.type) {
    case 'leaf':
      return [tree.value];
    case 'alt':
      return tree.trees.flatMap(leavesOf);
    case 'union':
      return tree.trees.flatMap((w) => leavesOf(w.tree));
    default:
      return [];
  }
}

const finagleOptions = (maxDepth?: number): InterpreterOptions => ({
  ...(maxDepth === undefined ? {} : { maxDepth }),
  kinds: { 'com.twitter.finagle.naming.testnamer': rewritingTestNamer },
});

describe('delegate vectors (Namer.bind)', () => {
  for (const c of vectors.delegate!) {
    const target = c.tree !== undefined ? `tree ${c.tree}` : c.path;
    it(`${c.dtab || '(empty)'} binds ${target}`, async () => {
      const dtab = Dtab.read(c.dtab);
      const what = c.tree !== undefined ? NameTree.read(c.tree) : Path.read(c.path);
      const result = bind(dtab, what, finagleOptions(c.max_depth));
      if (c.error !== undefined) {
        // ClassNotFoundException("inet") becomes linkerd's "Unknown namer: inet for path: /$/inet".
        await expect(result).rejects.toThrow(c.error);
        return;
      }
      const tree = await result;
      expect(NameTree.show(tree)).toBe(c.bound);
      const leaves = leavesOf(tree).map((b) => ({
        id: b.id.show(),
        residual: b.residual.show(),
        ...(b.weight === undefined ? {} : { weight: b.weight }),
      }));
      const expected = c.leaves.map((l: { id: string; residual: string; weight?: number }) =>
        l.weight === undefined ? { id: l.id, residual: l.residual } : l,
      );
      expect(leaves.map(({ id, residual }) => ({ id, residual }))).toEqual(
        expected.map(({ id, residual }: { id: string; residual: string }) => ({ id, residual })),
      );
      expected.forEach((l: { weight?: number }, i: number) => {
        if (l.weight !== undefined) expect(leaves[i]!.weight).toBe(l.weight);
      });
    });
  }
});

/** The vectors leave `bound.addr` out: that part depends on the machine's resolver. */
function withoutAddr(node: JsonDelegateTree): unknown {
  const { bound, delegate: d, alt, union, ...rest } = node;
  return {
    ...rest,
    ...(bound ? { bound: { id: bound.id, path: bound.path } } : {}),
    ...(d ? { delegate: withoutAddr(d) } : {}),
    ...(alt ? { alt: alt.map(withoutAddr) } : {}),
    ...(union ? { union: union.map((w) => ({ weight: w.weight, tree: withoutAddr(w.tree) })) } : {}),
  };
}

describe('delegate_tree vectors (linkerd /delegate JSON)', () => {
  for (const c of vectors.delegate_tree!) {
    it(`explains ${c.path} through ${c.dtab}`, async () => {
      const name = String(c.namers).includes('/#/namer ->') ? '/#/namer' : '/#/foo';
      const options: InterpreterOptions = {
        namers: [
          { prefix: Path.read(name), namer: testNamer(Path.read(name)) },
          { prefix: Path.read('/#/error'), namer: errorNamer(Path.read('/#/error')) },
        ],
      };
      const tree = await delegate(Dtab.read(c.dtab), Path.read(c.path), options);
      const json = await delegateTreeToJson(tree);
      expect(withoutAddr(json)).toEqual(c.tree);
    });
  }

  it('writes byte-for-byte the JSON of DelegateApiHandlerTest, addresses included', async () => {
    const c = vectors.delegate_tree!.find((v) => String(v.note).startsWith('exact JSON from the test: {'))!;
    const options: InterpreterOptions = {
      namers: [
        { prefix: Path.read('/#/foo'), namer: testNamer(Path.read('/#/foo')) },
        { prefix: Path.read('/#/error'), namer: errorNamer(Path.read('/#/error')) },
      ],
    };
    const json = await delegateTreeToJson(await delegate(Dtab.read(c.dtab), Path.read(c.path), options));
    expect(JSON.stringify(json)).toBe(String(c.note).slice('exact JSON from the test: '.length));
  });

  it('renders the bound address of /$/inet/127.1/8080 as linkerd does', async () => {
    const tree = await delegate(Dtab.read('/bah/humbug => /$/inet/127.1/8080'), Path.read('/bah/humbug'));
    const json = await delegateTreeToJson(tree);
    expect(json.delegate?.bound?.addr).toEqual({
      type: 'bound',
      addrs: [{ ip: '127.0.0.1', port: 8080, meta: {} }],
      meta: {},
    });
  });
});
