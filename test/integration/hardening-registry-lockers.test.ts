/**
 * The registry's lockers have ceilings: a request body is at most --body-limit-bytes (1 MiB by
 * default), one stored value at most --locker-max-key-bytes, one label's lockers and all of them
 * at most --locker-max-label-bytes / --locker-max-total-bytes; past one the write is a 413 and
 * nothing of it is stored. The finding was 20 posts of 5 MB taking a registry from 74 to 709 MB
 * of RSS; here the same posts are refused and the RSS of the real `switchyard registry` process
 * is measured before and after.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { Lockers } from '../../src/registry/locker.js';
import { type RoleProcess, startRole, stopAll } from '../helpers/switchyard-process.js';

afterEach(stopAll);

const rssMiB = (p: RoleProcess) => {
  const status = readFileSync(`/proc/${p.child.pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) / 1024;
};

/** A JSON string value of `bytes` bytes, as JSON. */
const blob = (bytes: number) => JSON.stringify('x'.repeat(bytes - 2));

async function store(url: string, path: string, body: string): Promise<{ status: number; json: unknown }> {
  try {
    const res = await fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const text = await res.text();
    return { status: res.status, json: text.startsWith('{') ? JSON.parse(text) : text };
  } catch (e) {
    // A server may answer 413 and close before the whole body is sent; that is a refusal too.
    return { status: 413, json: String(e) };
  }
}

describe('locker ceilings', () => {
  it('20 posts of 5 MB are refused (413) and the registry stays small', async () => {
    const registry = await startRole('registry', ['--listen', '127.0.0.1:0']);
    const before = rssMiB(registry);
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) {
      statuses.push((await store(registry.url, `/registry/peers/L/locker/store/k${i}`, blob(5_000_000))).status);
    }
    const after = rssMiB(registry);
    console.info(`registry RSS ${before.toFixed(0)} MiB before, ${after.toFixed(0)} MiB after 20 × 5 MB posts`);
    expect(statuses).toEqual(Array(20).fill(413));
    expect(after - before).toBeLessThan(100);
    const lockers = await (await fetch(`${registry.url}/registry/peers/L/locker`)).json();
    expect(lockers).toEqual({ L: {} });
  }, 60_000);

  it('per key, per label and in all: 413 past each, nothing half-stored, room again after a clear', async () => {
    const registry = await startRole('registry', [
      '--listen',
      '127.0.0.1:0',
      '--locker-max-key-bytes',
      '65536',
      '--locker-max-label-bytes',
      '262144',
      '--locker-max-total-bytes',
      '524288',
    ]);
    const put = (label: string, key: string, bytes: number) =>
      store(registry.url, `/registry/peers/${label}/locker/store/${key}`, blob(bytes));
    const keysOf = async (label: string) => {
      type View = Record<string, Record<string, { locker: { subKeys?: Record<string, unknown> } }>>;
      const view = (await (await fetch(`${registry.url}/registry/peers/${label}/locker`)).json()) as View;
      return Object.keys(view[label]?.['']?.locker?.subKeys ?? {}).sort();
    };

    const big = await put('A', 'k', 70_000);
    expect(big.status).toBe(413);
    expect(big.json).toMatchObject({ error: 'SY_ERR_LOCKER_FULL' });
    expect((big.json as { message: string }).message).toMatch(/more than 65536 per key; nothing was stored/);
    expect(await keysOf('A')).toEqual([]);

    const filled: number[] = [];
    for (let i = 0; i < 6; i++) filled.push((await put('A', `k${i}`, 60_000)).status);
    expect(filled).toEqual([200, 200, 200, 200, 413, 413]);
    expect(await keysOf('A')).toEqual(['k0', 'k1', 'k2', 'k3']);
    // Overwriting a value with one of the same size needs no room.
    expect((await put('A', 'k0', 60_000)).status).toBe(200);
    // A refused path of new keys leaves no empty nodes behind.
    expect((await store(registry.url, '/registry/peers/A/locker/store/n1,n2,n3', blob(60_000))).status).toBe(413);
    expect(await keysOf('A')).toEqual(['k0', 'k1', 'k2', 'k3']);
    const k0 = await (await fetch(`${registry.url}/registry/peers/A//locker/get/k0`)).text();
    expect(k0).toBe('x'.repeat(59_998));

    for (let i = 0; i < 4; i++) expect((await put('B', `k${i}`, 60_000)).status).toBe(200);
    const total = await put('C', 'k', 60_000);
    expect(total.status).toBe(413);
    expect((total.json as { message: string }).message).toMatch(/in all/);

    const cleared = await fetch(`${registry.url}/registry/peers/A/locker/clear`, { method: 'POST' });
    expect(cleared.status).toBe(200);
    expect((await put('C', 'k', 60_000)).status).toBe(200);
    expect((await put('A', 'k0', 60_000)).status).toBe(200);
  }, 30_000);
});

describe('locker accounting', () => {
  it('random stores, removes and clears: a refused write changes nothing, and the books balance to zero', () => {
    const key = fc.constantFrom('a', 'b', '__proto__', 'constructor', 'client', 'prototype');
    const op = fc.oneof(
      fc.record({
        kind: fc.constant('store' as const),
        label: fc.constantFrom('L', 'M'),
        address: fc.constantFrom('', '127.0.0.1:1'),
        keys: fc.array(key, { minLength: 1, maxLength: 3 }),
        bytes: fc.integer({ min: 0, max: 3000 }),
      }),
      fc.record({
        kind: fc.constant('remove' as const),
        label: fc.constantFrom('L', 'M'),
        address: fc.constantFrom('', '127.0.0.1:1'),
        keys: fc.array(key, { minLength: 1, maxLength: 3 }),
      }),
      fc.record({ kind: fc.constant('clear' as const), label: fc.constantFrom('L', 'M') }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const lockers = new Lockers(() => 0, { maxKeyBytes: 2500, maxLabelBytes: 6000, maxTotalBytes: 9000 });
        for (const o of ops) {
          if (o.kind === 'store') {
            const before = JSON.stringify(lockers.view());
            const bytes = [lockers.bytes('L'), lockers.bytes('M'), lockers.bytes()];
            try {
              lockers.store(o.label, o.address, o.keys, 'x'.repeat(o.bytes));
            } catch (e) {
              expect((e as { code?: string }).code).toBe('SY_ERR_LOCKER_FULL');
              expect(JSON.stringify(lockers.view())).toBe(before);
              expect([lockers.bytes('L'), lockers.bytes('M'), lockers.bytes()]).toEqual(bytes);
            }
          } else if (o.kind === 'remove') lockers.remove(o.label, o.address, o.keys);
          else lockers.clearLabel(o.label);
          expect(lockers.bytes()).toBe(lockers.bytes('L') + lockers.bytes('M'));
          expect(lockers.bytes('L')).toBeLessThanOrEqual(6000);
          expect(lockers.bytes()).toBeLessThanOrEqual(9000);
        }
        lockers.clearLabel('L');
        lockers.clearLabel('M');
        expect(lockers.bytes()).toBe(0);
        expect(({} as Record<string, unknown>).data).toBeUndefined();
      }),
      { numRuns: 300, seed: 4242 },
    );
  });
});
