/**
 * Where a traffic target may point, and how fast: judged by the address, not the text. Every
 * spelling of a link-local / metadata / unspecified address (decimal, octal, hex, shortened IPv4,
 * IPv4-mapped IPv6) is refused, as a property over the whole 169.254.0.0/16 block; a hostname is
 * resolved and judged by what it gives; qps above the cap is a 400 that says so. The same rules
 * hold on the registry (`switchyard registry`, which would push the target to every pod) and on a
 * traffic peer's /client API, both real processes; nothing refused is stored.
 */
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { targetPolicy } from '../../src/traffic/target-policy.js';
import { checkTarget, parseTarget } from '../../src/traffic/target-spec.js';
import { TrafficClient } from '../../src/traffic/traffic-client.js';
import { startRole, stopAll } from '../helpers/switchyard-process.js';
import { startUpstream, type Upstream } from '../helpers/upstream.js';

let upstream: Upstream;
beforeAll(async () => {
  upstream = await startUpstream();
});
afterAll(() => upstream.close());
afterEach(stopAll);

const METADATA_SPELLINGS = [
  'http://169.254.169.254/latest/meta-data/',
  'http://2852039166/',
  'http://0xa9fea9fe/',
  'http://0xa9.0xfe.0xa9.0xfe/',
  'http://0251.0376.0251.0376/',
  'http://169.254.43518/',
  'http://[::ffff:169.254.169.254]/',
  'http://[::ffff:a9fe:a9fe]/',
  'http://[fd00:ec2::254]/',
  'http://[64:ff9b::169.254.169.254]/',
  'http://[::169.254.169.254]/',
  'http://[fe80::1]/',
  'http://0.0.0.0:8080/',
  'http://0/',
  'http://[::]/',
  '169.254.169.254',
];

/** Ways to write one IPv4 address that URL parsers accept. */
function spellings([a, b, c, d]: number[]): string[] {
  const n = ((a! << 24) | (b! << 16) | (c! << 8) | d!) >>> 0;
  const hex = (x: number) => `0x${x.toString(16)}`;
  const oct = (x: number) => `0${x.toString(8)}`;
  const hi = ((a! << 8) | b!).toString(16);
  const lo = ((c! << 8) | d!).toString(16);
  return [
    `http://${a}.${b}.${c}.${d}/`,
    `http://${n}/`,
    `http://${hex(n)}/`,
    `http://${[a, b, c, d].map((x) => hex(x!)).join('.')}/`,
    `http://${[a, b, c, d].map((x) => oct(x!)).join('.')}/`,
    `http://${a}.${b}.${(c! << 8) | d!}/`,
    `http://[::ffff:${a}.${b}.${c}.${d}]/`,
    `http://[::ffff:${hi}:${lo}]/`,
  ];
}

describe('target addresses', () => {
  it('every spelling of every 169.254.0.0/16 address is refused; every 127.0.0.0/8 one is accepted', () => {
    const octet = fc.integer({ min: 0, max: 255 });
    fc.assert(
      fc.property(octet, octet, (c, d) => {
        for (const url of spellings([169, 254, c, d])) {
          expect(() => parseTarget({ name: 't', url }), url).toThrow(/url: refused/);
        }
        for (const url of spellings([127, 0, c, d])) expect(parseTarget({ name: 't', url }).url.hostname).toBeTruthy();
      }),
      { numRuns: 200, seed: 20261206 },
    );
  });

  it('hostnames are judged by what they resolve to', async () => {
    const onlyPods = targetPolicy({ targetCidrs: ['10.0.0.0/8'] });
    // Written as a name, localhost is loopback all the same: outside 10.0.0.0/8.
    await expect(checkTarget({ name: 't', url: 'http://localhost:1/' }, onlyPods)).rejects.toThrow(
      /localhost resolves to .*outside the allowed 10\.0\.0\.0\/8/,
    );
    await expect(checkTarget({ name: 't', url: 'http://127.0.0.1:1/' }, onlyPods)).rejects.toThrow(/outside/);
    await expect(checkTarget({ name: 't', url: 'http://localhost:1/' })).resolves.toBeTruthy();
  });

  it('and again at every connection: a name that slipped past the API (a startup bundle) is not called', async () => {
    const client = new TrafficClient({ policy: targetPolicy({ targetCidrs: ['10.0.0.0/8'] }) });
    const port = new URL(upstream.url).port;
    client.addTarget({ name: 't', url: `http://localhost:${port}/`, totalRequests: 3, autoInvoke: true });
    await client.done('t');
    const results = client.resultsOf('t')!;
    expect(results.requests).toBe(3);
    expect(results.countsByErrors).toEqual({ EADDRREFUSED_POLICY: 3 });
    expect(upstream.seen.filter((r) => r.headers.host === `localhost:${port}`)).toEqual([]);
    await client.close();
  });
});

// biome-ignore lint/suspicious/noExplicitAny: answers are checked by expect(), not by types.
async function post(url: string, body: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: await res.json() };
}

describe('the registry and a peer refuse such targets with 400, and store nothing', () => {
  it('switchyard registry', async () => {
    const registry = await startRole('registry', ['--listen', '127.0.0.1:0']);
    for (const url of METADATA_SPELLINGS) {
      const res = await post(`${registry.url}/registry/peers/L/targets/add`, { name: 't', url });
      expect(res.status, url).toBe(400);
      expect(res.json.message, url).toMatch(/url: refused/);
    }
    const fast = await post(`${registry.url}/registry/peers/L/targets/add`, {
      name: 't',
      url: upstream.url,
      qps: 1_000_000,
      duration: '1h',
    });
    expect(fast.status).toBe(400);
    expect(fast.json.message).toMatch(
      /qps: 1000000 is above this generator's cap of 1000 requests per second \(maxQps\)/,
    );
    expect(await (await fetch(`${registry.url}/registry/peers/targets`)).json()).toEqual({});
    const ok = await post(`${registry.url}/registry/peers/L/targets/add`, {
      name: 't',
      url: upstream.url,
      qps: 1000,
      duration: '1s',
    });
    expect(ok.status).toBe(200);
  });

  it('switchyard peer (/client/targets/add), with --max-qps and --target-cidrs', async () => {
    const registry = await startRole('registry', ['--listen', '127.0.0.1:0']);
    const peer = await startRole('peer', [
      '--registry',
      registry.url,
      '--label',
      'L',
      '--max-qps',
      '50',
      '--target-cidrs',
      '127.0.0.0/8',
    ]);
    for (const url of [...METADATA_SPELLINGS, 'http://10.0.0.1/']) {
      const res = await post(`${peer.url}/client/targets/add`, { name: 't', url });
      expect(res.status, url).toBe(400);
      expect(res.json.message, url).toMatch(/url: refused/);
    }
    const fast = await post(`${peer.url}/client/targets/add`, {
      name: 't',
      url: upstream.url,
      qps: 51,
      duration: '1s',
    });
    expect(fast.status).toBe(400);
    expect(fast.json.message).toMatch(/cap of 50/);
    expect(await (await fetch(`${peer.url}/client/targets`)).json()).toEqual({});
    const ok = await post(`${peer.url}/client/targets/add`, {
      name: 't',
      url: upstream.url,
      qps: 50,
      totalRequests: 3,
      autoInvoke: true,
    });
    expect(ok.status).toBe(200);
  });
});
