/**
 * Binding semantics beyond the vectors (docs/dtab-language.md#binding): the depth limit counted
 * exactly, the global-namer quirk, Neg-only fallthrough, union failure handling, weights, and names
 * whose bindings change while observed.
 */
import { describe, expect, it } from 'vitest';
import {
  Activity,
  Addr,
  Bound,
  type BoundLeaf,
  type BoundTree,
  bind,
  Dtab,
  defaultInterpreter,
  type Namer,
  NameTree,
  Path,
  Var,
} from '../../src/index.js';
import type { Cell } from '../../src/naming/var.js';

const show = (t: BoundTree) => NameTree.show(t);

/** `/p0=>/p1;…;/p(n-1)=>/$/inet/127.0.0.1/1`: n dtab rewrites then the /$/ lookup. */
function chain(n: number): Dtab {
  const entries = Array.from({ length: n }, (_, i) => `/p${i}=>${i === n - 1 ? '/$/inet/127.0.0.1/1' : `/p${i + 1}`}`);
  return Dtab.read(entries.join(';'));
}

describe('depth limit: every lookup counts, the final /$/ one included', () => {
  it('binds 99 rewrites followed by /$/inet and fails at 100', async () => {
    await expect(bind(chain(99), Path.read('/p0'))).resolves.toMatchObject({ type: 'leaf' });
    await expect(bind(chain(100), Path.read('/p0'))).rejects.toThrow(
      'Max recursion level: 100 reached in Namer lookup',
    );
  });

  it('with maxDepth 1 even one rewrite to /$/inet fails; with 2 it binds', async () => {
    const dtab = Dtab.read('/a=>/$/inet/h/1');
    await expect(bind(dtab, Path.read('/a'), { maxDepth: 1 })).rejects.toThrow('Max recursion level: 1 reached');
    await expect(bind(dtab, Path.read('/a'), { maxDepth: 2 })).resolves.toMatchObject({ type: 'leaf' });
  });

  it('reports a loop with the bind-depth error code', async () => {
    const err = await bind(Dtab.read('/foo/bar=>/bar/foo;/bar/foo=>/foo/bar'), Path.read('/foo/bar')).catch((e) => e);
    expect(err.code).toBe('SY_ERR_BIND_MAX_DEPTH');
  });
});

describe('global namer fallback', () => {
  it('asks the /$/ namer only when the lookup is exactly Neg', async () => {
    expect(show(await bind(Dtab.read('/=>~'), Path.read('/$/inet/h/1')))).toBe('/$/inet/h/1');
    expect(show(await bind(Dtab.read('/=>~;/=>~'), Path.read('/$/inet/h/1')))).toBe('~');
  });

  it('lets dtab entries shadow system paths', async () => {
    expect(show(await bind(Dtab.read('/$=>/foo'), Path.read('/$/inet/h/1')))).toBe('~');
    expect(show(await bind(Dtab.read('/$/inet=>/$/nil'), Path.read('/$/inet/h/1')))).toBe('$');
  });

  it('parses /$/inet host first, keeps the residual out of the id, and fails non-numeric ports', async () => {
    const t = await bind(Dtab.empty, Path.read('/$/inet/80/90/x'));
    expect(t).toMatchObject({ type: 'leaf' });
    if (t.type !== 'leaf') throw new Error('not a leaf');
    expect(t.value.id.show()).toBe('/$/inet/80/90');
    expect(t.value.residual.show()).toBe('/x');
    await expect(bind(Dtab.empty, Path.read('/$/inet/host/http'))).rejects.toThrow('Unknown namer: inet');
    await expect(bind(Dtab.empty, Path.read('/$/nosuchkind/a'))).rejects.toThrow(
      'Unknown namer: nosuchkind for path: /$/nosuchkind/a',
    );
    expect(show(await bind(Dtab.empty, Path.read('/$')))).toBe('~');
  });
});

describe('fallback and unions', () => {
  const failing: Namer = { lookup: () => Activity.exception(new Error('namer down')) };
  const opts = { kinds: { broken: failing } };

  it('falls back only on Neg: Fail, Empty and errors stop an Alt', async () => {
    const dtab = Dtab.read('/b=>/$/inet/127.0.0.1/2;/a=>/b|/$/inet/127.0.0.1/3');
    expect(show(await bind(dtab, Path.read('/a')))).toBe('/$/inet/127.0.0.1/2');
    expect(show(await bind(Dtab.read('/a=>~|/$/inet/127.0.0.1/3'), Path.read('/a')))).toBe('/$/inet/127.0.0.1/3');
    expect(show(await bind(Dtab.read('/a=>!|/$/inet/127.0.0.1/3'), Path.read('/a')))).toBe('!');
    expect(show(await bind(Dtab.read('/a=>$|/$/inet/127.0.0.1/3'), Path.read('/a')))).toBe('$');
    await expect(bind(Dtab.read('/a=>/$/broken|/$/inet/127.0.0.1/3'), Path.read('/a'), opts)).rejects.toThrow(
      'namer down',
    );
  });

  it('falls back to an earlier dentry when the later one binds to Neg', async () => {
    const dtab = Dtab.read('/svc=>/$/inet/127.0.0.1/1;/svc=>/nothing');
    expect(show(await bind(dtab, Path.read('/svc')))).toBe('/$/inet/127.0.0.1/1');
  });

  it('drops failed, Fail and Neg union members but keeps Empty; all-failing is Neg', async () => {
    const t = await bind(Dtab.read('/a=>1*/$/broken & 2*/$/inet/127.0.0.1/1 & 3*~ & 4*$'), Path.read('/a'), opts);
    expect(show(t)).toBe('2*/$/inet/127.0.0.1/1 & 4*$');
    expect(show(await bind(Dtab.read('/a=>! & ! & !'), Path.read('/a')))).toBe('~');
    await expect(bind(Dtab.read('/a=>/$/broken & /$/broken'), Path.read('/a'), opts)).rejects.toThrow('namer down');
  });

  it('carries the innermost union weight to each bound leaf and into its addr metadata', async () => {
    const t = await bind(
      Dtab.read('/a=>3*/b & /c;/b=>/$/inet/127.0.0.1/1|/x;/c=>/$/inet/127.0.0.1/2'),
      Path.read('/a'),
    );
    expect(show(t)).toBe('3*/$/inet/127.0.0.1/1 & /$/inet/127.0.0.1/2');
    if (t.type !== 'union') throw new Error('not a union');
    const [first] = t.trees;
    if (first?.tree.type !== 'leaf') throw new Error('not a leaf');
    expect(first.tree.value.weight).toBe(3);
    expect(first.tree.value.addr.sample()).toMatchObject({ type: 'bound', meta: { namer_nametree_weight: 3 } });
    const plain = await bind(Dtab.read('/a=>/$/inet/127.0.0.1/1'), Path.read('/a'));
    if (plain.type !== 'leaf') throw new Error('not a leaf');
    expect(plain.value.weight).toBeUndefined();
    // Bound leaves expose the name's id and residual on the leaf itself too.
    expect((plain as BoundLeaf).id.show()).toBe('/$/inet/127.0.0.1/1');
    expect((plain as BoundLeaf).residual.show()).toBe('/');
  });
});

describe('names that change over time', () => {
  it('rebinds when a configured namer changes its answer, and stops observing on close', async () => {
    const state = Var.cell<NameTree<Path>>(NameTree.Neg);
    let observing = 0;
    const dynamic: Namer = {
      lookup: () =>
        new Activity(
          Var.async(state.sample(), (set) => {
            observing++;
            const sub = state.observe((t) => set(t));
            return {
              close() {
                observing--;
                sub.close();
              },
            };
          }).map((t) => ({ status: 'ok' as const, value: t })),
        ),
    };
    const interpreter = defaultInterpreter({ namers: [{ prefix: Path.read('/#/dyn'), namer: dynamic }] });
    const dtab = Dtab.read('/svc=>/$/inet/127.0.0.1/9;/svc=>/#/dyn/web');
    const seen: string[] = [];
    const sub = interpreter.bind(dtab, Path.read('/svc')).run.observe((s) => {
      if (s.status === 'ok') seen.push(NameTree.show(s.value));
    });
    expect(observing).toBe(1);
    (state as Cell<NameTree<Path>>).set(NameTree.leaf(Path.read('/$/inet/127.0.0.1/10')));
    (state as Cell<NameTree<Path>>).set(NameTree.Neg);
    sub.close();
    expect(observing).toBe(0);
    expect(seen).toEqual(['/$/inet/127.0.0.1/9', '/$/inet/127.0.0.1/10', '/$/inet/127.0.0.1/9']);
  });

  it('waits while a namer is pending and resolves when it answers', async () => {
    const answer = Var.cell<ReturnType<Activity<NameTree<Path>>['sample']>>({ status: 'pending' });
    const slow: Namer = { lookup: () => new Activity(answer) };
    const result = bind(Dtab.read('/a=>/$/slow'), Path.read('/a'), { kinds: { slow } });
    setTimeout(() => answer.set({ status: 'ok', value: NameTree.leaf(Path.read('/$/inet/127.0.0.1/5')) }), 10);
    expect(show(await result)).toBe('/$/inet/127.0.0.1/5');
  });

  it('resolves IP literals at once and host names through DNS', async () => {
    const ip = await bind(Dtab.empty, Path.read('/$/inet/127.0.0.1/8080'));
    if (ip.type !== 'leaf') throw new Error('not a leaf');
    expect(ip.value.addr.sample()).toEqual(Addr.bound([{ host: '127.0.0.1', port: 8080, meta: {} }]));
    const named = await bind(Dtab.empty, Path.read('/$/inet/localhost/8080'));
    if (named.type !== 'leaf') throw new Error('not a leaf');
    const addr = await named.value.addr.first((a) => a.type !== 'pending');
    expect(addr.type).toBe('bound');
    if (addr.type === 'bound') expect(addr.addresses.map((a) => a.port)).toContain(8080);
    const bad = await bind(Dtab.empty, Path.read('/$/inet/127.0.0.1/-1'));
    if (bad.type !== 'leaf') throw new Error('not a leaf');
    expect(bad.value.addr.sample()).toMatchObject({ type: 'failed' });
  });
});

describe('fallbackOnEmpty (the router’s Alt extension)', () => {
  it('moves to the next Alt member while every address of the primary is gone, and back', async () => {
    const primaryAddr = Var.cell<Addr>(Addr.bound([{ host: '127.0.0.1', port: 1, meta: {} }]));
    const primary: Namer = {
      lookup: (path) => Activity.value(NameTree.leaf(new Bound(primaryAddr, Path.read('/#/primary'), path))),
    };
    const namers = [{ prefix: Path.read('/#/primary'), namer: primary }];
    const dtab = Dtab.read('/svc => /#/primary/web | /$/inet/127.0.0.1/2');
    const seen: string[] = [];
    const sub = defaultInterpreter({ namers, fallbackOnEmpty: true })
      .bind(dtab, Path.read('/svc'))
      .run.observe((s) => {
        if (s.status === 'ok') seen.push(NameTree.show(s.value));
      });
    primaryAddr.set(Addr.bound([]));
    primaryAddr.set(Addr.Neg);
    primaryAddr.set(Addr.bound([{ host: '127.0.0.1', port: 3, meta: {} }]));
    sub.close();
    expect(seen).toEqual(['/#/primary', '/$/inet/127.0.0.1/2', '/$/inet/127.0.0.1/2', '/#/primary']);
    // Finagle's own semantics (the default): an empty address set does not fall through.
    primaryAddr.set(Addr.bound([]));
    expect(NameTree.show(await defaultInterpreter({ namers }).bind(dtab, Path.read('/svc')).toPromise())).toBe(
      '/#/primary',
    );
  });
});
