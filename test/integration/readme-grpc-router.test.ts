/**
 * The gRPC router config shown in README.md is the one tested here, read out of the README so
 * the two cannot drift: it loads, and with its two /$/inet addresses pointed at real h2
 * upstreams it routes `/proto.GenSvc/Gen` 1:19 to gen-growthhack and gen; the README's curl
 * command (run through bash, port swapped) gets a gRPC answer with its trailers.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { ServerHttp2Stream } from 'node:http2';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { routerConfig } from '../../src/config/router-config.js';
import { startH2Upstream } from '../helpers/h2-upstream-harness.js';
import { connectH2, h2Request } from '../helpers/h2c-echo.js';
import { repoRoot } from '../helpers/repo.js';
import { testScope } from '../helpers/test-scope.js';

const run = promisify(execFile);
const scope = testScope();
const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');

/** The fenced block whose first line is `# <title>` (yaml) or that contains `needle` (sh). */
function fenced(lang: string, needle: string): string {
  const blocks = [...readme.matchAll(new RegExp(`\`\`\`${lang}\\n([\\s\\S]*?)\`\`\``, 'g'))].map((m) => m[1] as string);
  const block = blocks.find((b) => b.includes(needle));
  if (block === undefined) throw new Error(`README has no \`\`\`${lang} block with ${needle}`);
  return block;
}

/** A gRPC-shaped upstream: an empty message, then grpc-status 0, saying who answered. */
async function grpcUpstream(name: string) {
  const u = await startH2Upstream((stream: ServerHttp2Stream) => {
    stream.resume();
    stream.on('end', () => {
      stream.respond(
        { ':status': 200, 'content-type': 'application/grpc', 'x-served-by': name },
        { waitForTrailers: true },
      );
      stream.once('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
      stream.end(Buffer.alloc(5));
    });
  });
  scope.cleanups.push(() => u.close());
  return u;
}

describe('README: HTTP/2 and gRPC', () => {
  const yaml = fenced('yaml', '# grpc-router.yaml');

  it('the gRPC router config loads', () => {
    const config = routerConfig(yaml);
    expect(config.protocol).toBe('auto');
    expect(config.dstPrefix).toBe('/svc');
    expect(yaml).toContain('/srv/proto.GenSvc   => 1 * /srv/gen-growthhack & 19 * /srv/gen');
  });

  it('routes /proto.GenSvc/Gen 1:19 between gen-growthhack and gen, and its curl command works', async () => {
    const gen = await grpcUpstream('gen');
    const growthhack = await grpcUpstream('gen-growthhack');
    const live = yaml
      .replace('/$/inet/127.0.0.1/9091', `/$/inet/127.0.0.1/${gen.port}`)
      .replace('/$/inet/127.0.0.1/9092', `/$/inet/127.0.0.1/${growthhack.port}`);
    expect(live).not.toBe(yaml);
    const router = await scope.router(live);
    const s = connectH2(Number(new URL(router.url).port));
    scope.cleanups.push(() => void s.destroy());
    const served = new Map<string, number>();
    for (let i = 0; i < 400; i++) {
      const a = await h2Request(
        s,
        {
          ':method': 'POST',
          ':path': '/proto.GenSvc/Gen',
          'content-type': 'application/grpc',
          te: 'trailers',
        },
        Buffer.alloc(5),
      );
      expect(a.trailers?.['grpc-status']).toBe('0');
      const by = String(a.headers['x-served-by']);
      served.set(by, (served.get(by) ?? 0) + 1);
    }
    // 1 in 20 of 400 is 20; P(0) and P(> 45) are both below 1e-6.
    const canary = served.get('gen-growthhack') ?? 0;
    expect(canary).toBeGreaterThan(0);
    expect(canary).toBeLessThan(45);
    expect(canary + (served.get('gen') ?? 0)).toBe(400);

    const command = fenced('sh', 'GenRequest{text: "gob", limit: 3}').replaceAll(
      '127.0.0.1:4140',
      new URL(router.url).host,
    );
    const { stdout } = await run('bash', ['-c', command], { encoding: 'utf8' });
    expect(stdout).toMatch(/^HTTP\/2 200/);
    expect(stdout).toMatch(/content-type: application\/grpc/);
  }, 60_000);
});
