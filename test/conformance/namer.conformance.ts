/**
 * The contract every namer keeps (docs/architecture.md#conformance-suites: one suite per interface,
 * run against every implementation; docs/namers.md#the-namer-contract): an unknown name is Neg so a
 * dtab falls back past it; a known name is a Bound leaf whose id is the mount prefix plus the name
 * and whose residual is the rest; its Addr follows the endpoints while observed, and the source
 * behind it runs only while observed; a lookup changes as names come and go, and so does a binding
 * made through NameInterpreter. The fs, inet and Kubernetes namers all run it; a fixture leaves out
 * the hooks its namer cannot support (inet has no unknown names) and those cases skip.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type Addr,
  Bound,
  type BoundTree,
  Dtab,
  defaultInterpreter,
  type Name,
  type NameInterpreter,
  type Namer,
  NameTree,
  Path,
  type Var,
} from '../../src/index.js';
import type { ActivityState } from '../../src/naming/activity.js';
import { eventually, Observed } from '../helpers/observed.js';

export interface Endpoint {
  readonly host: string;
  readonly port: number;
}

export interface NamerFixture {
  readonly namer: Namer;
  /** Where the namer is mounted, e.g. `/#/io.l5d.fs` or `/$/inet`; ids start with it. */
  readonly prefix: Path;
  /** `configured` (default): a `/#/` namer handed the path after its prefix; `kind`: a `/$/<kind>` namer handed it all. */
  readonly mount?: 'configured' | 'kind';
  /** Makes `name` known with these endpoints; returns its path under the prefix. */
  makeKnown(name: string, addrs: readonly Endpoint[]): Promise<Path>;
  /** The path `name` has under the prefix, known or not; absent when every path names something. */
  pathOf?(name: string): Path;
  removeKnown?(name: string): Promise<void>;
  updateKnown?(name: string, addrs: readonly Endpoint[]): Promise<void>;
  /** Sources (watches, polls) running right now; absent when the namer cannot tell. */
  activeSources?(): number;
  cleanup(): Promise<void>;
}

export interface ConformanceOptions {
  /** The longest any change may take to show; a namer's documented latency plus slack. Default 5000. */
  readonly timeoutMs?: number;
}

const A: Endpoint = { host: '127.0.0.1', port: 8080 };
const B: Endpoint = { host: '127.0.0.2', port: 8081 };
const FALLBACK = Path.read('/$/inet/127.0.0.1/9');

type TreeState = ActivityState<NameTree<Name>> | ActivityState<BoundTree>;

const endpoints = (es: readonly Endpoint[]) => es.map((e) => `${e.host}:${e.port}`).sort();
const showAddr = (a: Addr) => (a.type === 'bound' ? `bound ${endpoints(a.addresses).join(',')}` : a.type);
const showState = (s: TreeState) =>
  s.status === 'ok'
    ? NameTree.show(s.value as NameTree<Name>)
    : s.status === 'failed'
      ? `failed: ${s.error}`
      : s.status;
const isBoundTo = (es: readonly Endpoint[]) => (a: Addr) =>
  a.type === 'bound' && endpoints(a.addresses).join() === endpoints(es).join();
/** An ok tree that is a leaf whose id is `id`, or Neg when `id` is null. */
const isLeaf = (id: Path | null) => (s: TreeState) =>
  s.status === 'ok' &&
  (id === null ? s.value.type === 'neg' : s.value.type === 'leaf' && (s.value.value as Bound).id?.equals(id));

export function runNamerConformance(
  name: string,
  setup: () => Promise<NamerFixture>,
  options: ConformanceOptions = {},
) {
  const timeoutMs = options.timeoutMs ?? 5000;

  describe(`namer conformance: ${name}`, () => {
    let f: NamerFixture;
    let interpreter: NameInterpreter;
    /** What the namer's lookup is handed for a path under its prefix. */
    let arg: (p: Path) => Path;
    const open: { close(): void }[] = [];
    const watch = <T>(v: Var<T>, show: (value: T) => string) => {
      const o = new Observed(v, show);
      open.push(o);
      return o;
    };

    beforeEach(async () => {
      f = await setup();
      const configured = (f.mount ?? 'configured') === 'configured';
      interpreter = configured
        ? defaultInterpreter({ namers: [{ prefix: f.prefix, namer: f.namer }] })
        : defaultInterpreter({ kinds: { [f.prefix.utf8Elems()[1]!]: f.namer } });
      arg = configured ? (p) => p : (p) => f.prefix.concat(p);
    });

    afterEach(async () => {
      for (const o of open.splice(0)) o.close();
      await f.cleanup();
    });

    it('answers Neg for an unknown name, so the dtab falls back', async (ctx) => {
      ctx.skip(!f.pathOf, 'every path names something for this namer');
      const unknown = f.pathOf!('nobody');
      await expect(f.namer.lookup(arg(unknown.concat(Path.read('/x')))).toPromise()).resolves.toBe(NameTree.Neg);
      const dtab = Dtab.read(`/svc => ${f.prefix.show()} | ${FALLBACK.show()}`);
      const bound = await interpreter.bind(dtab, Path.read('/svc').concat(unknown)).toPromise();
      expect(bound).toMatchObject({ type: 'leaf', id: FALLBACK });
    });

    it('binds a known name to a leaf with id prefix ++ name and the rest as residual', async () => {
      const known = await f.makeKnown('web', [A]);
      const tree = await f.namer.lookup(arg(known.concat(Path.read('/a/b')))).toPromise();
      expect(tree.type).toBe('leaf');
      const bound = (tree as { value: Name }).value;
      expect(bound).toBeInstanceOf(Bound);
      expect((bound as Bound).id.show()).toBe(f.prefix.concat(known).show());
      expect((bound as Bound).residual.show()).toBe('/a/b');
      await watch((bound as Bound).addr, showAddr).until(isBoundTo([A]), 'the endpoints', timeoutMs);
    });

    it('binds a name that a dtab rewrites onto the prefix, through NameInterpreter', async () => {
      const known = await f.makeKnown('web', [A]);
      const dtab = Dtab.read(`/svc => ${f.prefix.show()}`);
      const bound = await interpreter
        .bind(dtab, Path.read('/svc').concat(known).concat(Path.read('/rest')))
        .toPromise();
      expect(bound).toMatchObject({ type: 'leaf', id: f.prefix.concat(known), residual: Path.read('/rest') });
    });

    it('follows endpoint updates while the addr is observed; an empty set stays bound', async (ctx) => {
      ctx.skip(!f.updateKnown, 'this namer cannot change a name’s endpoints');
      const known = await f.makeKnown('web', [A]);
      const tree = await f.namer.lookup(arg(known)).toPromise();
      const addr = watch((tree as { value: Bound }).value.addr, showAddr);
      await addr.until(isBoundTo([A]), 'the first endpoints', timeoutMs);
      await f.updateKnown!('web', [A, B]);
      await addr.until(isBoundTo([A, B]), 'an added endpoint', timeoutMs);
      await f.updateKnown!('web', []);
      await addr.until(isBoundTo([]), 'no endpoints (bound, not neg)', timeoutMs);
    });

    it('runs its source only while observed, and a new observer does not see stale endpoints', async (ctx) => {
      ctx.skip(!f.activeSources || !f.updateKnown, 'this namer cannot report its sources or change endpoints');
      const known = await f.makeKnown('web', [A]);
      const tree = await f.namer.lookup(arg(known)).toPromise();
      const addr = (tree as { value: Bound }).value.addr;
      await eventually(() => f.activeSources!() === 0, 'no sources once the lookup is closed', timeoutMs);
      const first = watch(addr, showAddr);
      const second = watch(addr, showAddr);
      await first.until(isBoundTo([A]), 'the endpoints', timeoutMs);
      expect(f.activeSources!()).toBeGreaterThan(0);
      first.close();
      expect(f.activeSources!()).toBeGreaterThan(0);
      second.close();
      await eventually(() => f.activeSources!() === 0, 'the source to stop after the last close', timeoutMs);
      await f.updateKnown!('web', [B]);
      const again = watch(addr, showAddr);
      expect(again.value !== undefined && isBoundTo([A])(again.value)).toBe(false);
      await again.until(isBoundTo([B]), 'the endpoints changed while unobserved', timeoutMs);
    });

    it('changes its lookup as a name appears and disappears', async (ctx) => {
      ctx.skip(!f.pathOf || !f.removeKnown, 'names cannot come and go for this namer');
      const path = f.pathOf!('web');
      const lookup = watch(f.namer.lookup(arg(path)).run, showState);
      await lookup.until(isLeaf(null), 'Neg before the name exists', timeoutMs);
      await f.makeKnown('web', [A]);
      await lookup.until(isLeaf(f.prefix.concat(path)), 'a leaf once the name exists', timeoutMs);
      await f.removeKnown!('web');
      await lookup.until(isLeaf(null), 'Neg once the name is removed', timeoutMs);
    });

    it('re-binds through NameInterpreter.bind as the name comes and goes', async (ctx) => {
      ctx.skip(!f.pathOf || !f.removeKnown, 'names cannot come and go for this namer');
      const path = f.pathOf!('web');
      const dtab = Dtab.read(`/svc => ${f.prefix.show()} | ${FALLBACK.show()}`);
      const binding = watch(interpreter.bind(dtab, Path.read('/svc').concat(path)).run, showState);
      await binding.until(isLeaf(FALLBACK), 'the fallback while the name is unknown', timeoutMs);
      await f.makeKnown('web', [A]);
      await binding.until(isLeaf(f.prefix.concat(path)), 'the namer’s name once known', timeoutMs);
      await f.removeKnown!('web');
      await binding.until(isLeaf(FALLBACK), 'the fallback again once removed', timeoutMs);
    });
  });
}
