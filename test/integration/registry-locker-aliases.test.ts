/**
 * goto's README spells the locker reads and the clear with a singular `peer` (and `locker`):
 * `GET /registry/peer/lockers`, `GET /registry/peer/{L}/locker`, `POST /registry/peer/{L}/locker/clear`.
 * Scripts written from those docs must reach the same routes as the plural forms, on a real
 * `switchyard registry` process.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startRole, stopAll } from '../helpers/switchyard-process.js';

afterEach(stopAll);

async function call(url: string, method: 'GET' | 'POST', body?: string): Promise<{ status: number; json: unknown }> {
  const res = await fetch(url, {
    method,
    ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body }),
  });
  const text = await res.text();
  return { status: res.status, json: text.startsWith('{') ? JSON.parse(text) : text };
}

describe("goto's singular locker paths", () => {
  it('answer as the plural routes do: all lockers, one label, and clearing one label', async () => {
    const registry = await startRole('registry', ['--listen', '127.0.0.1:0']);
    const base = `${registry.url}/registry`;
    expect((await call(`${base}/peers/peer1/locker/store/client`, 'POST', '{"hits":1}')).status).toBe(200);
    expect((await call(`${base}/peers/peer2/locker/store/client`, 'POST', '{"hits":2}')).status).toBe(200);

    const all = await call(`${base}/peer/lockers`, 'GET');
    expect(all.status).toBe(200);
    expect(all.json).toEqual((await call(`${base}/peers/lockers`, 'GET')).json);
    expect(Object.keys(all.json as object).sort()).toEqual(['peer1', 'peer2']);

    const one = await call(`${base}/peer/peer1/locker`, 'GET');
    expect(one.status).toBe(200);
    expect(one.json).toEqual((await call(`${base}/peers/peer1/lockers`, 'GET')).json);
    expect(Object.keys(one.json as object)).toEqual(['peer1']);

    const cleared = await call(`${base}/peer/peer1/locker/clear`, 'POST');
    expect(cleared.status).toBe(200);
    expect((await call(`${base}/peers/peer1/locker`, 'GET')).json).toEqual({ peer1: {} });
    // The other label keeps what it had.
    const other = (await call(`${base}/peers/peer2/locker`, 'GET')).json as Record<string, unknown>;
    expect(JSON.stringify(other)).toContain('hits');
  }, 60_000);
});
