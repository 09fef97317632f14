/**
 * Watch streams: namerd's format (a document at once, then one per change, nothing on delete),
 * switchyard's line-delimited JSON (versions, deletion events, heartbeats), the namespace list,
 * and that a client leaving or the server closing ends the observation.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryDtabStore } from '../../src/store/memory-store.js';
import { openStream, type RunningNamerd, startNamerd } from '../helpers/namerd-server.js';

let namerd: RunningNamerd;
beforeEach(async () => {
  namerd = await startNamerd({ store: new MemoryDtabStore(), heartbeatMs: 150 });
});
afterEach(() => namerd.close());

const write = (method: string, ns: string, dtab?: string) =>
  fetch(`${namerd.url}/api/1/dtabs/${ns}`, {
    method,
    ...(dtab === undefined ? {} : { body: dtab, headers: { 'content-type': 'application/dtab' } }),
  }).then((r) => {
    if (r.status >= 300) throw new Error(`${method} ${ns}: ${r.status}`);
  });

const waitFor = async (check: () => boolean, ms = 2000) => {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('namerd-format watch', () => {
  it('sends the current dtab at once, then one document per change, and nothing for a deletion', async () => {
    await write('POST', 'default', '/svc=>/srv/v1');
    const stream = await openStream(`${namerd.url}/api/1/dtabs/default?watch=true`, { accept: 'application/dtab' });
    expect(stream.status).toBe(200);
    expect(stream.headers['transfer-encoding']).toBe('chunked');
    expect(stream.headers.etag).toBeUndefined();
    expect(await stream.next()).toBe('/svc=>/srv/v1');
    await write('PUT', 'default', '/svc=>/srv/v2');
    expect(await stream.next()).toBe('/svc=>/srv/v2');
    await write('DELETE', 'default');
    await write('POST', 'default', '/svc=>/srv/v3');
    expect(await stream.next()).toBe('/svc=>/srv/v3');
    stream.close();
    await waitFor(() => namerd.openStreams() === 0);
  });

  it('waits for a namespace that does not exist yet, in JSON by default', async () => {
    const stream = await openStream(`${namerd.url}/api/1/dtabs/later?watch=1`);
    await expect(stream.next(200)).rejects.toThrow(/no line/);
    await write('POST', 'later', '/a=>/b');
    expect(JSON.parse(await stream.next())).toEqual([{ prefix: '/a', dst: '/b' }]);
    stream.close();
  });
});

describe('ndjson watch (Accept: application/x-ndjson)', () => {
  it('carries version and dtab, reports deletion, and beats while idle', async () => {
    await write('POST', 'default', '/svc=>/srv/v1');
    const stream = await openStream(`${namerd.url}/api/1/dtabs/default?watch=true`, { accept: 'application/x-ndjson' });
    expect(stream.headers['content-type']).toMatch(/^application\/x-ndjson/);
    const first = JSON.parse(await stream.next());
    expect(first).toMatchObject({
      type: 'dtab',
      namespace: 'default',
      version: 'AAAAAAAAAAE=',
      number: 1,
      dtab: '/svc=>/srv/v1',
    });
    await write('PUT', 'default', '/svc=>/srv/v2');
    const events: { type: string; number?: number }[] = [];
    for (let e = JSON.parse(await stream.next()); ; e = JSON.parse(await stream.next())) {
      events.push(e);
      if (e.type === 'dtab') break;
    }
    expect(events.at(-1)).toMatchObject({ type: 'dtab', number: 2 });
    await write('DELETE', 'default');
    let event = JSON.parse(await stream.next());
    while (event.type === 'heartbeat') event = JSON.parse(await stream.next());
    expect(event).toEqual({ type: 'deleted', namespace: 'default' });
    const beat = JSON.parse(await stream.next(1000));
    expect(beat.type).toBe('heartbeat');
    expect(Date.parse(beat.time)).toBeGreaterThan(0);
    stream.close();
  });
});

describe('watching the namespace list and shutting down', () => {
  it('streams the sorted names on every create and delete', async () => {
    const stream = await openStream(`${namerd.url}/api/1/dtabs?watch=true`);
    expect(JSON.parse(await stream.next())).toEqual([]);
    await write('POST', 'b', '/a=>/b');
    expect(JSON.parse(await stream.next())).toEqual(['b']);
    await write('POST', 'a', '/a=>/b');
    expect(JSON.parse(await stream.next())).toEqual(['a', 'b']);
    await write('PUT', 'a', '/a=>/c');
    await write('DELETE', 'b');
    expect(JSON.parse(await stream.next())).toEqual(['a']);
    stream.close();
  });

  it('ends open watches when the server closes instead of hanging', async () => {
    await write('POST', 'default', '/a=>/b');
    const stream = await openStream(`${namerd.url}/api/1/dtabs/default?watch=true`);
    await stream.next();
    const started = Date.now();
    await namerd.close();
    expect(Date.now() - started).toBeLessThan(1000);
    await waitFor(() => stream.ended);
  });
});
