/**
 * Routers the controller cannot trust: one that accepts connections and never answers, one that
 * streams an endless body, one that answers garbage. Each costs a bounded wait and is reported;
 * a run with no readable router rolls back (no evidence is not good evidence) instead of hanging.
 */
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getJson } from '../../src/canary/bounded-fetch.js';
import { scrapeClients } from '../../src/canary/client-metrics.js';
import { CanaryRun } from '../../src/canary/controller.js';
import type { CanaryEvent } from '../../src/canary/events.js';
import { newRun } from '../../src/canary/lifecycle.js';
import { validateSpec } from '../../src/canary/spec.js';
import { NamerdClient } from '../../src/namerd-protocol/client.js';
import { type RunningNamerd, startNamerd } from '../helpers/namerd-server.js';

let hanging: Server;
let endless: Server;
let garbage: Server;
let namerd: RunningNamerd;
const url = (s: Server) => `http://127.0.0.1:${(s.address() as { port: number }).port}`;
const listen = (s: Server) => new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));

beforeAll(async () => {
  hanging = createServer(() => {});
  endless = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    const pump = () => {
      while (res.write(chunk)) if (res.destroyed) return;
    };
    res.on('drain', pump);
    pump();
  });
  garbage = createServer((req, res) => {
    req.resume();
    res.end('{"rt/http/client/x/requests": NaN}');
  });
  await Promise.all([listen(hanging), listen(endless), listen(garbage)]);
  namerd = await startNamerd();
});

afterAll(async () => {
  for (const s of [hanging, endless, garbage]) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
  await namerd.close();
});

describe('hostile routers', () => {
  it('a hanging router, an endless body and garbage JSON each end in an error within the deadline', async () => {
    let started = performance.now();
    await expect(scrapeClients(url(hanging), ['/x'], { timeoutMs: 300 })).rejects.toThrow(
      'no complete answer within 300 ms',
    );
    expect(performance.now() - started).toBeLessThan(3_000);
    started = performance.now();
    await expect(getJson(url(endless), { timeoutMs: 5_000, maxBytes: 1024 * 1024 })).rejects.toThrow(
      'larger than 1048576 bytes',
    );
    expect(performance.now() - started).toBeLessThan(5_000);
    await expect(scrapeClients(url(garbage), ['/x'], { timeoutMs: 1_000 })).rejects.toThrow('not JSON');
  });

  it('a run whose only router hangs rolls back after its extensions, in bounded time, and says why', async () => {
    const put = await fetch(`${namerd.url}/api/1/dtabs/hostile`, {
      method: 'POST',
      body: '/srv => /#/io.l5d.k8s/default/grpc; /srv/proto.GenSvc => /srv/gen;',
      headers: { 'content-type': 'application/dtab' },
    });
    expect(put.status).toBe(204);
    const { spec } = validateSpec({
      namespace: 'hostile',
      service: '/srv/proto.GenSvc',
      primary: '/srv/gen',
      canary: '/srv/gen-growthhack',
      steps: [10, 100],
      interval: '300ms',
      maxExtensions: 1,
      routers: [url(hanging), url(garbage)],
    });
    const client = new NamerdClient(new URL(namerd.url));
    const events: CanaryEvent[] = [];
    const started = performance.now();
    const outcome = await new CanaryRun(await newRun(client, spec!), {
      client,
      emit: (e) => events.push(e),
      scrapeTimeoutMs: 300,
    }).run();
    await client.close();
    expect(outcome).toBe('rolled-back');
    expect(performance.now() - started).toBeLessThan(10_000);
    const windows = events.filter((e) => e.event === 'window');
    expect(windows.map((w) => w.verdict)).toEqual(['wait', 'fail']);
    const last = windows.at(-1)!;
    expect(last.reasons[0]).toBe('no router binds /srv/gen-growthhack');
    expect(last.unreadable.map((u) => u.router).sort()).toEqual([url(hanging), url(garbage)].sort());
    const dtab = await (
      await fetch(`${namerd.url}/api/1/dtabs/hostile`, { headers: { accept: 'application/dtab' } })
    ).text();
    expect(dtab).not.toContain('gen-growthhack');
  });
});
