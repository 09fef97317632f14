/**
 * `switchyard traffic` run in-process against a node:http upstream on 127.0.0.1: the JSON report
 * for scripts, the summary tables with the split by tracked header, progress lines while it runs,
 * an early stop that still reports, and bad flags refused with exit 64 naming the field.
 */
import { PassThrough, Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/switchyard.js';
import { startUpstream, type Upstream } from '../helpers/upstream.js';

let upstream: Upstream;
beforeAll(async () => {
  upstream = await startUpstream((n) => ({
    status: n % 10 === 9 ? 503 : 200,
    headers: { 'x-version': n % 5 === 4 ? 'v2' : 'v1' },
  }));
});
afterAll(() => upstream.close());

function sink(): { stream: Writable; text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk, _encoding, done) {
      text += chunk;
      done();
    },
  });
  return { stream, text: () => text };
}

async function traffic(args: string[], signal?: AbortSignal) {
  const out = sink();
  const err = sink();
  const code = await main(['traffic', ...args], {
    stdin: new PassThrough(),
    stdout: out.stream,
    stderr: err.stream,
    ...(signal ? { signal } : {}),
  });
  return { code, stdout: out.text(), stderr: err.text() };
}

describe('switchyard traffic', () => {
  it('prints the full results as JSON for scripts', async () => {
    const run = await traffic([
      '--url',
      `${upstream.url}/x`,
      '--requests',
      '100',
      '-c',
      '4',
      '--track-header',
      'x-version',
      '--json',
      // One request in ten answers 503: allowed here, so the run counts as passed.
      '--max-error-rate',
      '0.2',
    ]);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    const { target, results } = JSON.parse(run.stdout);
    expect(target).toMatchObject({ replicas: 4, totalRequests: 100, trackHeaders: ['x-version'] });
    expect(results.requests).toBe(100);
    expect(results.countsByHeaders['x-version'].count).toBe(100);
    expect(results.good + results.bad).toBe(100);
  });

  it('shows progress lines while it runs and the summary tables at the end', async () => {
    const run = await traffic([
      '--url',
      upstream.url,
      '--qps',
      '100',
      '--duration',
      '1.2s',
      '--interval',
      '300ms',
      '-H',
      'l5d-dtab: /svc/web => /svc/web-v2',
      '--track-header',
      'X-Version',
      '--max-error-rate',
      '0.2',
    ]);
    expect(run.code).toBe(0);
    const progress = run.stderr.trim().split('\n');
    expect(progress.length).toBeGreaterThanOrEqual(3);
    expect(progress.at(-1)).toMatch(
      /^\d+\.\ds {2}\d+ req {2}\d+ rps {2}p99 [\d.]+ms {2}errors \d+ {2}x-version v1 [\d.]+% v2 [\d.]+%$/,
    );
    expect(run.stdout).toMatch(/^Target +http:\/\/127\.0\.0\.1:\d+\/$/m);
    expect(run.stdout).toMatch(/^Requests +1[12]\d in 1\.\d\ds/m);
    expect(run.stdout).toMatch(/^Latency +min .* p50 .* p99 .* p99\.9 .* max /m);
    expect(run.stdout).toMatch(/^Status +Count +Share$/m);
    expect(run.stdout).toMatch(/^x-version +Count +Share +200 +503$/m);
    expect(upstream.seen.at(-1)!.headers['l5d-dtab']).toBe('/svc/web => /svc/web-v2');
  });

  it('stops early on an abort and still reports', async () => {
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 500);
    const started = Date.now();
    const run = await traffic(
      ['--url', upstream.url, '--qps', '50', '--duration', '1m', '--json', '--max-error-rate', '0.5'],
      abort.signal,
    );
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(run.code).toBe(0);
    const { results } = JSON.parse(run.stdout);
    expect(results.requests).toBeGreaterThan(5);
    expect(results.running).toBe(false);
  });

  it('refuses bad flags with exit 64, naming the field', async () => {
    const bad = await traffic(['--url', 'ftp://x', '--requests=-5', '--qps', '0', '-c', 'many']);
    expect(bad.code).toBe(64);
    expect(bad.stderr).toContain('url:');
    expect(bad.stderr).toContain('--requests:');
    expect(bad.stderr).toContain('qps:');
    expect(bad.stderr).toContain('--concurrency:');
    expect(bad.stderr).toContain('Usage:');
    expect((await traffic(['--requests', '5'])).stderr).toContain('a URL is required');
    expect((await traffic(['--url', upstream.url, '-H', 'nocolon'])).code).toBe(64);
  });
});

describe("hey's and slow_cooker's habits", () => {
  const target = (run: { stdout: string }) => JSON.parse(run.stdout).target;

  it("takes the URL as the argument and hey's -n, -c, -z, -m, -H, -d and -t", async () => {
    const run = await traffic([
      '-n',
      '20',
      '-c',
      '3',
      '-m',
      'POST',
      '-d',
      'hi',
      '-t',
      '5',
      '-H',
      'x-a: b',
      '--json',
      '--max-error-rate',
      '1',
      upstream.url,
    ]);
    expect(run.code).toBe(0);
    expect(target(run)).toMatchObject({
      url: `${upstream.url}/`,
      totalRequests: 20,
      replicas: 3,
      method: 'POST',
      body: 'hi',
      requestTimeout: '5s',
      headers: { 'x-a': 'b' },
    });
    const timed = await traffic(['-z', '300ms', '-q', '5', '-c', '2', '--json', '--max-error-rate', '1', upstream.url]);
    expect(target(timed)).toMatchObject({ duration: '300ms', qps: 10 });
  });

  it("reads hey's -q and slow_cooker's -qps per connection, and --qps for the whole run", async () => {
    const slow = await traffic([
      '-qps',
      '4',
      '-concurrency',
      '5',
      '-totalRequests',
      '10',
      '--json',
      '--max-error-rate',
      '1',
      upstream.url,
    ]);
    expect(target(slow)).toMatchObject({ qps: 20, replicas: 5, totalRequests: 10 });
    const both = await traffic(['--qps', '5', '-q', '5', upstream.url]);
    expect(both.code).toBe(64);
    expect(both.stderr).toContain('not both');
  });

  it('suggests the option meant, and refuses a timeout of 0 (hey: none) and two URLs', async () => {
    const typo = await traffic(['--reqests', '5', upstream.url]);
    expect(typo.code).toBe(64);
    expect(typo.stderr).toContain("unknown option '--reqests' (did you mean --requests?)");
    expect((await traffic(['--concurency', '5', upstream.url])).stderr).toContain('did you mean --concurrency?');
    expect((await traffic(['-t', '0', upstream.url])).stderr).toContain('-t 0');
    expect((await traffic([upstream.url, upstream.url])).stderr).toContain('one URL only');
  });

  it('exits 1 past --max-error-rate (by default, any failed request), 0 within it', async () => {
    // Requests 9, 19, … answer 503: 2 of the next 20 at most.
    const strict = await traffic(['-n', '20', '--quiet', upstream.url]);
    expect(strict.code).toBe(1);
    expect(strict.stderr).toMatch(/\d+ of 20 requests failed \([\d.]+%\), above --max-error-rate 0/);
    expect(strict.stdout).toMatch(/^Requests +20 /m);
    expect((await traffic(['-n', '20', '--quiet', '--max-error-rate', '0.5', upstream.url])).code).toBe(0);
    expect((await traffic(['-n', '2', '--max-error-rate', '2', upstream.url])).code).toBe(64);
  });
});
