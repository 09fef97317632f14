import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { median, setFaults, webUnderFaults } from '../helpers/router-faults.js';
import { client } from '../helpers/router-harness.js';

let seen = 0;

const mesh = webUnderFaults((req, res) => {
  seen++;
  req.resume();
  req.on('end', () => res.end('hello\n'));
});

async function get(headers: Record<string, string> = {}) {
  const started = performance.now();
  const res = await request(`${mesh.router.url}/`, { headers: { host: 'web', ...headers }, dispatcher: client });
  const body = await res.body.text();
  return { status: res.statusCode, headers: res.headers, body, ms: performance.now() - started };
}

const web = (toxics: unknown[], extra: Record<string, unknown> = {}) => ({
  name: 'web',
  listen: '/svc/web',
  upstream: `/$/inet/127.0.0.1/${mesh.port}`,
  toxics,
  ...extra,
});

describe('router faults on HTTP/1.1', () => {
  it('latency 200 ms: the median answer comes about 200 ms later', async () => {
    const base: number[] = [];
    for (let i = 0; i < 8; i++) base.push((await get()).ms);
    await setFaults(mesh.router, web([{ type: 'latency', attributes: { latency: 200 } }]));
    const slow: number[] = [];
    for (let i = 0; i < 8; i++) slow.push((await get()).ms);
    const added = median(slow) - median(base);
    expect(added).toBeGreaterThan(180);
    expect(added).toBeLessThan(450);
  });

  it('abort 503 at toxicity 1: every request answered 503 by the fault, none reaches the upstream', async () => {
    await setFaults(mesh.router, web([{ type: 'abort', stream: 'upstream', attributes: { status: 503 } }]));
    const before = seen;
    for (let i = 0; i < 20; i++) {
      const answer = await get();
      expect(answer.status).toBe(503);
      expect(answer.headers['l5d-fault']).toBe('web/abort_upstream');
    }
    expect(seen).toBe(before);
  });

  it('a downstream abort reaches the upstream, and replaces its answer', async () => {
    await setFaults(mesh.router, web([{ type: 'abort', attributes: { status: 418, message: 'teapot' } }]));
    const before = seen;
    const answer = await get();
    expect(answer.status).toBe(418);
    expect(answer.body).toBe('teapot (web/abort_downstream)\n');
    expect(seen).toBe(before + 1);
  });

  it('toxicity 0.2: about a fifth of 400 requests are aborted (binomial, ±4 sd)', async () => {
    await setFaults(mesh.router, web([{ type: 'abort', toxicity: 0.2, attributes: { status: 500 } }]));
    let aborted = 0;
    for (let i = 0; i < 400; i++) if ((await get()).status === 500) aborted++;
    // n p = 80, sd = sqrt(400 · 0.2 · 0.8) = 8.
    expect(aborted).toBeGreaterThan(80 - 32);
    expect(aborted).toBeLessThan(80 + 32);
  });

  it('header selector: only requests carrying the header (and value) are hit', async () => {
    await setFaults(mesh.router, web([{ type: 'abort', attributes: { status: 500 } }], { header: 'X-Chaos: on' }));
    expect((await get()).status).toBe(200);
    expect((await get({ 'x-chaos': 'off' })).status).toBe(200);
    expect((await get({ 'x-chaos': 'on' })).status).toBe(500);
    await setFaults(mesh.router, web([{ type: 'abort', attributes: { status: 500 } }], { header: 'x-chaos' }));
    expect((await get({ 'X-Chaos': 'anything' })).status).toBe(500);
    expect((await get()).status).toBe(200);
  });

  it('a rule for another service or client changes nothing', async () => {
    await setFaults(
      mesh.router,
      { ...web([{ type: 'abort', attributes: { status: 500 } }]), name: 'a', listen: '/svc/webby' },
      { ...web([{ type: 'abort', attributes: { status: 500 } }]), name: 'b', upstream: '/$/inet/127.0.0.1/1' },
    );
    expect((await get()).status).toBe(200);
  });

  it('down: refuse and a disabled rule answer as a refused connection, reset as a failed one', async () => {
    await setFaults(mesh.router, web([{ type: 'down', attributes: { mode: 'refuse' } }]));
    const refused = await get();
    expect(refused.status).toBe(502);
    expect(decodeURIComponent(String(refused.headers['l5d-err']))).toMatch(/connection refused/);
    await setFaults(mesh.router, web([], { enabled: false }));
    expect(decodeURIComponent(String((await get()).headers['l5d-err']))).toMatch(
      /connection refused \(fault web\/\(disabled\)\)/,
    );
    await setFaults(mesh.router, web([{ type: 'down', attributes: { mode: 'reset' } }]));
    const reset = await get();
    expect(reset.status).toBe(502);
    expect(decodeURIComponent(String(reset.headers['l5d-err']))).toMatch(/connection reset/);
  });

  it('timeout 300 ms upstream: the request is held, then fails; nothing reaches the upstream', async () => {
    await setFaults(mesh.router, web([{ type: 'timeout', stream: 'upstream', attributes: { timeout: 300 } }]));
    const before = seen;
    const answer = await get();
    expect(answer.status).toBe(502);
    expect(answer.ms).toBeGreaterThan(280);
    expect(answer.ms).toBeLessThan(3000);
    expect(seen).toBe(before);
  });
});
