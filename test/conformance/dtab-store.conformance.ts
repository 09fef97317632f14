/**
 * The DtabStore contract (src/store/dtab-store.ts, docs/namerd-api.md#the-dtab-store-contract), as
 * one suite that every store runs: memory, file and Redis must be interchangeable behind namerd's
 * API, so they are held to the same observable behaviour, including under contention and through
 * watches.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Dtab } from '../../src/dtab/dtab.js';
import { DEFAULT_HISTORY_LIMIT, type DtabStore } from '../../src/store/dtab-store.js';
import { etagToVersion, versionToEtag } from '../../src/store/versioned-dtab.js';
import { runCasWriters } from '../helpers/cas-writers.js';
import { recordWatch, type WatchRecorder } from '../helpers/watch-recorder.js';

export interface StoreUnderTest {
  readonly store: DtabStore;
  readonly cleanup: () => Promise<void>;
  /**
   * Wipes the backend behind the store's back, as a Redis without persistence does when it
   * restarts. Only stores whose backend can lose data on its own provide it; the reset cases
   * are skipped for the others (memory and file lose nothing while namerd runs).
   */
  readonly loseData?: () => Promise<void>;
}

export interface MakeStoreOptions {
  readonly historyLimit?: number;
}

export interface ConformanceOptions {
  /** How long the 20 compare-and-set writers run. */
  readonly concurrencyMs?: number;
}

const d = (text: string) => Dtab.read(text);
const versionOf = (v: { version: number } | null) => (v === null ? null : v.version);
/** The version of the newest value a watcher holds: undefined before the first value, null while absent. */
const lastVersion = (values: readonly ({ version: number } | null)[]) =>
  values.length === 0 ? undefined : versionOf(values[values.length - 1]!);

async function rejection(promise: Promise<unknown>): Promise<{ code: string; status: number; message: string }> {
  try {
    await promise;
  } catch (error) {
    return error as { code: string; status: number; message: string };
  }
  throw new Error('expected a rejection');
}

export function runDtabStoreConformance(
  name: string,
  makeStore: (options?: MakeStoreOptions) => Promise<StoreUnderTest>,
  options: ConformanceOptions = {},
): void {
  describe(`DtabStore conformance: ${name}`, () => {
    const opened: StoreUnderTest[] = [];
    const watches: WatchRecorder<unknown>[] = [];
    const open = async (o?: MakeStoreOptions) => (await openUnderTest(o)).store;
    const openUnderTest = async (o?: MakeStoreOptions) => {
      const s = await makeStore(o);
      opened.push(s);
      return s;
    };
    const watch = <T>(w: WatchRecorder<T>) => {
      watches.push(w as WatchRecorder<unknown>);
      return w;
    };
    afterEach(async () => {
      for (const w of watches.splice(0)) w.close();
      for (const s of opened.splice(0)) await s.cleanup();
    });

    it('creates, gets and lists namespaces, sorted', async () => {
      const store = await open();
      expect(await store.list()).toEqual([]);
      const before = Date.now();
      const created = await store.create('web', d('/svc=>/#/io.l5d.fs'), { message: 'first' });
      expect(created).toMatchObject({ namespace: 'web', version: 1, message: 'first' });
      expect(created.time).toBeGreaterThanOrEqual(before - 1000);
      await store.create('api', d('/a=>/b'));
      await store.create('Z_1.x-y', d('/c=>/d'));
      expect(await store.list()).toEqual(['Z_1.x-y', 'api', 'web']);
      const got = await store.get('web');
      expect(got).toMatchObject({ namespace: 'web', version: 1, message: 'first', time: created.time });
      expect(got?.dtab.show()).toBe('/svc=>/#/io.l5d.fs');
      expect((await store.get('api'))?.message).toBeUndefined();
      expect(await store.get('nope')).toBeNull();
    });

    it('refuses to create an existing namespace (409) and changes nothing', async () => {
      const store = await open();
      await store.create('web', d('/a=>/b'));
      const error = await rejection(store.create('web', d('/a=>/c')));
      expect(error).toMatchObject({ code: 'SY_ERR_NAMESPACE_EXISTS', status: 409 });
      expect(error.message).toContain('web');
      expect((await store.get('web'))?.dtab.show()).toBe('/a=>/b');
      expect((await store.history('web')).map((h) => h.version)).toEqual([1]);
    });

    it('updates with compare-and-set, and refuses a stale version (412) naming both versions', async () => {
      const store = await open();
      await store.create('web', d('/a=>/v1'));
      expect(await store.update('web', d('/a=>/v2'), 1, { message: 'second' })).toMatchObject({ version: 2 });
      const error = await rejection(store.update('web', d('/a=>/v3'), 1));
      expect(error).toMatchObject({ code: 'SY_ERR_VERSION_MISMATCH', status: 412 });
      expect(error.message).toContain('expected version 1');
      expect(error.message).toContain('current version is 2');
      const current = await store.get('web');
      expect([current?.version, current?.dtab.show(), current?.message]).toEqual([2, '/a=>/v2', 'second']);
    });

    it('answers 404 for updates and deletes of a missing namespace, and null or empty for reads', async () => {
      const store = await open();
      for (const p of [store.update('ghost', d('/a=>/b'), 1), store.delete('ghost')]) {
        expect(await rejection(p)).toMatchObject({ code: 'SY_ERR_NAMESPACE_NOT_FOUND', status: 404 });
      }
      expect(await store.get('ghost')).toBeNull();
      expect(await store.getVersion('ghost', 1)).toBeNull();
      expect(await store.history('ghost')).toEqual([]);
      expect(await store.list()).toEqual([]);
    });

    it('puts unconditionally, creating or replacing', async () => {
      const store = await open();
      expect(await store.put('web', d('/a=>/b'))).toMatchObject({ namespace: 'web', version: 1 });
      expect(await store.list()).toEqual(['web']);
      expect(await store.put('web', d('/a=>/c'), { message: 'forced' })).toMatchObject({
        version: 2,
        message: 'forced',
      });
      expect((await store.get('web'))?.dtab.show()).toBe('/a=>/c');
    });

    it('deletes, and a namespace created again continues its numbering', async () => {
      const store = await open();
      await store.create('web', d('/a=>/1'));
      await store.update('web', d('/a=>/2'), 1);
      expect(await store.delete('web', { message: 'bye' })).toBeUndefined();
      expect(await store.get('web')).toBeNull();
      expect(await store.list()).toEqual([]);
      expect(await rejection(store.update('web', d('/a=>/x'), 2))).toMatchObject({
        code: 'SY_ERR_NAMESPACE_NOT_FOUND',
      });
      expect(await store.create('web', d('/a=>/4'))).toMatchObject({ version: 4 });
      expect((await store.history('web')).map((h) => [h.version, h.dtab?.show() ?? null])).toEqual([
        [4, '/a=>/4'],
        [3, null],
        [2, '/a=>/2'],
        [1, '/a=>/1'],
      ]);
    });

    it('versions map to namerd ETags: 1 ↔ AAAAAAAAAAE=, 2 ↔ AAAAAAAAAAI=', async () => {
      const store = await open();
      const v1 = await store.create('web', d('/a=>/b'));
      const v2 = await store.put('web', d('/a=>/c'));
      expect([versionToEtag(v1.version), versionToEtag(v2.version)]).toEqual(['AAAAAAAAAAE=', 'AAAAAAAAAAI=']);
      expect(etagToVersion('AAAAAAAAAAI=')).toBe(2);
      expect(etagToVersion('yolo')).toBeNull();
    });

    it('keeps history newest first, with messages, times and deletions', async () => {
      const store = await open();
      await store.create('web', d('/a=>/1'), { message: 'first' });
      await store.put('web', d('/a=>/2'));
      await store.delete('web', { message: 'gone' });
      await store.put('web', d('/a=>/4'), { message: 'back' });
      const history = await store.history('web');
      expect(history.map((h) => [h.version, h.message, h.dtab?.show() ?? null])).toEqual([
        [4, 'back', '/a=>/4'],
        [3, 'gone', null],
        [2, undefined, '/a=>/2'],
        [1, 'first', '/a=>/1'],
      ]);
      for (const h of history) expect(typeof h.time).toBe('number');
      expect(history.every((h, i) => i === 0 || h.time <= history[i - 1]!.time)).toBe(true);
    });

    it('bounds history to the limit and forgets pruned versions', async () => {
      const store = await open({ historyLimit: 5 });
      await store.create('web', d('/a=>/1'));
      for (let v = 2; v <= 8; v++) await store.put('web', d(`/a=>/${v}`));
      expect((await store.history('web')).map((h) => h.version)).toEqual([8, 7, 6, 5, 4]);
      expect(await store.getVersion('web', 3)).toBeNull();
      expect((await store.getVersion('web', 4))?.dtab.show()).toBe('/a=>/4');
      expect(DEFAULT_HISTORY_LIMIT).toBe(100);
    });

    it('reads one version back with getVersion; deletions and unknown versions are null', async () => {
      const store = await open();
      await store.create('web', d('/a=>/1'), { message: 'm1' });
      await store.put('web', d('/a=>/2'));
      await store.delete('web');
      expect(await store.getVersion('web', 1)).toMatchObject({ namespace: 'web', version: 1, message: 'm1' });
      expect((await store.getVersion('web', 2))?.dtab.show()).toBe('/a=>/2');
      expect(await store.getVersion('web', 3)).toBeNull();
      expect(await store.getVersion('web', 99)).toBeNull();
    });

    it('watch gives the current value first, then every change in order, and null on delete', async () => {
      const store = await open();
      await store.create('web', d('/a=>/1'));
      const w = watch(recordWatch(store.watch('web')));
      await w.until((v) => v.length >= 1);
      await store.update('web', d('/a=>/2'), 1);
      await store.put('web', d('/a=>/3'));
      await store.delete('web');
      await store.create('web', d('/a=>/5'));
      await w.until((v) => versionOf(v[v.length - 1]!) === 5);
      expect(w.values.map(versionOf)).toEqual([1, 2, 3, null, 5]);
      expect(w.values[1]?.dtab.show()).toBe('/a=>/2');
      const absent = watch(recordWatch(store.watch('later')));
      await absent.until((v) => v.length >= 1);
      await store.put('later', d('/x=>/y'));
      await absent.until((v) => v.length >= 2);
      expect(absent.values.map(versionOf)).toEqual([null, 1]);
      expect(w.errors).toEqual([]);
    });

    it('watchList follows creations and deletions', async () => {
      const store = await open();
      await store.create('b', d('/a=>/b'));
      const w = watch(recordWatch(store.watchList()));
      await w.until((v) => v.length >= 1);
      expect(w.values[0]).toEqual(['b']);
      await store.create('a', d('/a=>/b'));
      await w.until((v) => v[v.length - 1]?.join() === 'a,b');
      await store.put('b', d('/a=>/c')); // not a change of the list
      await store.delete('b');
      await w.until((v) => v[v.length - 1]?.join() === 'a');
      expect(w.values.map((names) => names.join())).toEqual(['b', 'a,b', 'a']);
    });

    it('rejects invalid namespace names (400) and stores nothing', async () => {
      const store = await open();
      const bad = ['', '.', '..', '.hidden', 'a/b', '../etc', 'a\nb', 'a b', '%2e%2e', 'x'.repeat(129)];
      for (const ns of bad) {
        for (const p of [
          store.create(ns, d('/a=>/b')),
          store.put(ns, d('/a=>/b')),
          store.update(ns, d('/a=>/b'), 1),
          store.delete(ns),
          store.get(ns),
          store.history(ns),
        ]) {
          expect(await rejection(p)).toMatchObject({ code: 'SY_ERR_NAMESPACE_INVALID', status: 400 });
        }
        expect(() => store.watch(ns)).toThrow(expect.objectContaining({ code: 'SY_ERR_NAMESPACE_INVALID' }));
      }
      expect(await store.list()).toEqual([]);
      expect((await store.create('x'.repeat(128), d('/a=>/b'))).version).toBe(1);
    });

    it('leaves nothing half-applied when a write is refused', async () => {
      const store = await open();
      await store.create('web', d('/a=>/1'), { message: 'ok' });
      const w = watch(recordWatch(store.watch('web')));
      const names = watch(recordWatch(store.watchList()));
      await w.until((v) => v.length >= 1);
      await names.until((v) => v.length >= 1);
      await rejection(store.create('web', d('/a=>/x')));
      await rejection(store.update('web', d('/a=>/x'), 7));
      await rejection(store.delete('other'));
      await rejection(store.put('bad/name', d('/a=>/x')));
      expect(await store.list()).toEqual(['web']);
      expect((await store.get('web'))?.dtab.show()).toBe('/a=>/1');
      expect((await store.history('web')).map((h) => h.version)).toEqual([1]);
      expect(await store.get('other')).toBeNull();
      // The next write takes the next number: refused writes used none.
      expect((await store.update('web', d('/a=>/2'), 1)).version).toBe(2);
      await w.until((v) => v.length >= 2);
      expect(w.values.map(versionOf)).toEqual([1, 2]);
      expect(names.values).toEqual([['web']]);
    });

    describe('after the backend lost its data', () => {
      const lossy = async () => {
        const s = await openUnderTest();
        if (s.loseData === undefined) return undefined;
        return { store: s.store, loseData: s.loseData };
      };

      it('tells old and new watchers the truth, and the next write reaches them with a higher version', async (t) => {
        const s = await lossy();
        if (s === undefined) return t.skip();
        const { store, loseData } = s;
        await store.create('web', d('/a=>/1'));
        await store.put('web', d('/a=>/2'));
        await store.put('web', d('/a=>/3'));
        const old = watch(recordWatch(store.watch('web')));
        const names = watch(recordWatch(store.watchList()));
        await old.until((v) => lastVersion(v) === 3);
        await names.until((v) => v[v.length - 1]?.join() === 'web');
        await loseData();
        // A new watcher reads the backend: it must get what is there (nothing), not version 3.
        const fresh = watch(recordWatch(store.watch('web')));
        await fresh.until((v) => v.length >= 1);
        expect(fresh.values[0]).toBeNull();
        await old.until((v) => v[v.length - 1] === null);
        await names.until((v) => v[v.length - 1]?.length === 0);
        expect(await store.get('web')).toBeNull();
        // Versions never go back: an ETag from before the loss can never name a dtab written after it.
        const next = await store.put('web', d('/a=>/after'));
        expect(next.version).toBeGreaterThan(3);
        for (const w of [old, fresh]) await w.until((v) => lastVersion(v) === next.version);
        expect(old.values[old.values.length - 1]?.dtab.show()).toBe('/a=>/after');
        expect(old.errors).toEqual([]);
        await names.until((v) => v[v.length - 1]?.join() === 'web');
        expect((await store.get('web'))?.version).toBe(next.version);
      });

      it('lets the first write after the loss notice it, and hands that write to watchers', async (t) => {
        const s = await lossy();
        if (s === undefined) return t.skip();
        const { store, loseData } = s;
        await store.create('web', d('/a=>/1'));
        await store.put('web', d('/a=>/2'));
        const w = watch(recordWatch(store.watch('web')));
        await w.until((v) => lastVersion(v) === 2);
        await loseData();
        const next = await store.put('web', d('/a=>/after'));
        expect(next.version).toBe(3);
        await w.until((v) => v[v.length - 1]?.dtab.show() === '/a=>/after');
        expect(w.values.map(versionOf).filter((v) => v !== null)).toEqual([2, 3]);
        // A stale If-Match from before the loss is refused, not applied to the new data.
        await expect(store.update('web', d('/a=>/x'), 2)).rejects.toMatchObject({ code: 'SY_ERR_VERSION_MISMATCH' });
      });
    });

    const concurrencyMs = options.concurrencyMs ?? 5_000;
    it(`loses no update: 20 writers in read → compare-and-set → retry loops for ${concurrencyMs} ms`, {
      timeout: concurrencyMs + 20_000,
    }, async () => {
      const store = await open();
      await store.create('contended', d('/w=>/start'));
      const result = await runCasWriters(store, 'contended', 20, concurrencyMs);
      const final = await store.get('contended');
      const acked = result.acknowledged.length;
      console.log(
        `[${name}] 20 CAS writers, ${result.elapsedMs} ms: ${acked} updates acknowledged, ` +
          `${result.conflicts} refused with 412, final version ${final?.version}`,
      );
      expect(acked).toBeGreaterThan(0);
      expect(final?.version).toBe(1 + acked);
      // Every acknowledged update got a version of its own: 2, 3, … with none shared and none missing.
      expect([...result.acknowledged].sort((a, b) => a - b)).toEqual(Array.from({ length: acked }, (_, i) => i + 2));
      expect((await store.history('contended'))[0]?.version).toBe(final?.version);
    });
  });
}
