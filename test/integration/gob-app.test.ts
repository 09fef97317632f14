/**
 * The gRPC "gob" example apps (proto/gob.proto): gen, gen-growthhack and word called straight by
 * real grpc-js clients, and web, the HTTP/1.1 front end, calling them through a real router set
 * up as linkerd's walkthrough sets one up (the path identifier names /proto.GenSvc/Gen as
 * /grpc/proto.GenSvc), with the routing context it received passed on as gRPC metadata.
 */
import { spawn } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type App,
  type GenApp,
  startGen,
  startGenGrowthhack,
  startWeb,
  startWord,
} from '../../src/quickstart/example-apps.js';
import { type GenClient, type GenResponse, gob, type WordClient } from '../../src/quickstart/gob/proto.js';
import { WORDS } from '../../src/quickstart/gob/word.js';
import type { RunningRouter } from '../../src/router/router.js';
import { spawnBin } from '../helpers/cli-run.js';
import { rawExchange } from '../helpers/raw-http.js';
import { repoRoot } from '../helpers/repo.js';
import { get, startTestRouter } from '../helpers/router-harness.js';

let gen: GenApp;
let growthhack: GenApp;
let word: App;
let web: App;
let router: RunningRouter;
let webUrl: string;

beforeAll(async () => {
  gen = await startGen(0, 'gen');
  growthhack = await startGenGrowthhack(0);
  word = await startWord(0);
  const inet = (app: App) => `/$/inet/127.0.0.1/${app.port}`;
  router = await startTestRouter(
    [
      'identifier: {kind: io.l5d.header.path, segments: 1}',
      'dstPrefix: /grpc',
      `dtab: /srv/proto.GenSvc => ${inet(gen)}; /srv/proto.WordSvc => ${inet(word)}; /srv/gen-growthhack => ${inet(growthhack)}; /grpc => /srv;`,
    ].join('\n'),
  );
  web = await startWeb(0, router.url);
  webUrl = `http://127.0.0.1:${web.port}`;
});

afterAll(async () => {
  await web?.close();
  await router?.close();
  await Promise.all([gen?.close(), growthhack?.close(), word?.close()]);
});

const insecure = grpc.credentials.createInsecure();
const genClient = (app: App) => new (gob().GenSvc)(`127.0.0.1:${app.port}`, insecure) as unknown as GenClient;

/** One Gen call to its end: the messages, the x-version it said, the status. */
function genCall(app: App, text: string, limit: number) {
  const client = genClient(app);
  return new Promise<{ messages: string[]; version: string; status: grpc.StatusObject }>((resolve) => {
    const messages: string[] = [];
    let version = '';
    const call = client.Gen({ text, limit }, new grpc.Metadata());
    call.on('metadata', (m: grpc.Metadata) => (version = String(m.get('x-version')[0])));
    call.on('data', (m: GenResponse) => messages.push(m.text));
    call.on('error', () => {});
    call.on('status', (status: grpc.StatusObject) => {
      client.close();
      resolve({ messages, version, status });
    });
  });
}

describe('gen, gen-growthhack and word, called straight by grpc-js', () => {
  it('Gen with limit 10 streams ten messages of the text, then OK, and says x-version: gen', async () => {
    const r = await genCall(gen, 'gob', 10);
    expect(r.status.code).toBe(grpc.status.OK);
    expect(r.messages).toEqual(Array(10).fill('gob '));
    expect(r.version).toBe('gen');
  });

  it('gen-growthhack answers "<text> <3 k8s" per line', async () => {
    const r = await genCall(growthhack, 'gob', 3);
    expect(r.status.code).toBe(grpc.status.OK);
    expect(r.messages.join('')).toBe('gob <3 k8s\n'.repeat(3));
    expect(r.version).toBe('gen-growthhack');
  });

  it('Gen with limit 0 streams until the client cancels, and gen sees the cancel', async () => {
    const before = gen.cancels;
    const client = genClient(gen);
    const call = client.Gen({ text: 'gob', limit: 0 }, new grpc.Metadata());
    const status = new Promise<grpc.StatusObject>((resolve) => call.on('status', resolve));
    call.on('error', () => {});
    let n = 0;
    await new Promise<void>((resolve) =>
      call.on('data', () => {
        if (++n === 5000) resolve();
      }),
    );
    call.cancel();
    expect((await status).code).toBe(grpc.status.CANCELLED);
    await gen.cancelled(before + 1);
    expect(gen.cancels).toBe(before + 1);
    client.close();
  });

  it('Gen refuses what is out of bounds with INVALID_ARGUMENT and says why', async () => {
    const cases: [string, number, RegExp][] = [
      ['gob', -1, /limit must be a whole number from 0 to 10000/],
      ['gob', 10_001, /limit must be a whole number from 0 to 10000 .*got 10001/],
      ['', 3, /text must not be empty/],
      ['x'.repeat(101), 3, /text must be at most 100 characters, got 101/],
      ['go\nb', 3, /control characters, found U\+000A at character 3/],
    ];
    for (const [text, limit, why] of cases) {
      const r = await genCall(gen, text, limit);
      expect(r.status.code, `${JSON.stringify(text)} × ${limit}`).toBe(grpc.status.INVALID_ARGUMENT);
      expect(r.status.details).toMatch(why);
      expect(r.messages).toEqual([]);
    }
  });

  it('GetWord answers a word from the list', async () => {
    const client = new (gob().WordSvc)(`127.0.0.1:${word.port}`, insecure) as unknown as WordClient;
    const reply = await new Promise<{ word: string }>((resolve, reject) =>
      client.GetWord({}, new grpc.Metadata(), {}, (err, r) => (err ? reject(err) : resolve(r!))),
    );
    client.close();
    expect(WORDS).toContain(reply.word);
  });

  it('each also answers a plain HTTP/1.1 GET on the same port with its version', async () => {
    for (const [app, version] of [
      [gen, 'gen'],
      [growthhack, 'gen-growthhack'],
      [word, 'word'],
    ] as const) {
      const r = await get(`http://127.0.0.1:${app.port}/`);
      expect(r.status).toBe(200);
      expect(r.headers['x-version']).toBe(version);
    }
  });

  it('switchyard example-app word serves GetWord from the built package (proto/ found from dist/)', async () => {
    const child = spawn(process.execPath, [
      join(repoRoot, 'bin/switchyard.js'),
      'example-app',
      'word',
      '--listen',
      '127.0.0.1:0',
    ]);
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    try {
      const port = await new Promise<number>((resolve, reject) => {
        let out = '';
        child.stderr.setEncoding('utf8').on('data', (d: string) => {
          out += d;
          const m = /listening on 127\.0\.0\.1:(\d+)/.exec(out);
          if (m) resolve(Number(m[1]));
        });
        child.once('exit', () => reject(new Error(`exited early: ${out}`)));
      });
      const client = new (gob().WordSvc)(`127.0.0.1:${port}`, insecure) as unknown as WordClient;
      const reply = await new Promise<{ word: string }>((resolve, reject) =>
        client.GetWord({}, new grpc.Metadata(), {}, (err, r) => (err ? reject(err) : resolve(r!))),
      );
      client.close();
      expect(WORDS).toContain(reply.word);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });
});

describe('web, calling word and gen through the router', () => {
  it('switchyard example-app web refuses a router it cannot call over h2c', async () => {
    for (const url of ['https://127.0.0.1:4140', 'http://127.0.0.1:4140/api', 'router:4140']) {
      const r = await spawnBin('switchyard.js', ['example-app', 'web', '--router', url]);
      expect(r.code, url).toBe(64);
      expect(r.stderr).toMatch(/router: must be an http:\/\/(HOST:PORT )?URL/);
    }
  });

  it('/ prints the help text', async () => {
    const r = await get(`${webUrl}/`);
    expect(r.status).toBe(200);
    expect(r.body).toContain('GET /gob?text=TEXT&limit=N');
  });

  it('/gob?text=gob&limit=10 answers ten gobs, from gen', async () => {
    const r = await get(`${webUrl}/gob?text=gob&limit=10`);
    expect(r.status).toBe(200);
    expect(r.headers['x-version']).toBe('gen');
    expect(r.body.trim().split(' ')).toEqual(Array(10).fill('gob'));
  });

  it('/gob without text asks word for one', async () => {
    const r = await get(`${webUrl}/gob?limit=3`);
    expect(r.status).toBe(200);
    const words = r.body.trim().split(' ');
    expect(words).toHaveLength(3);
    expect(WORDS).toContain(words[0]);
    expect(new Set(words).size).toBe(1);
  });

  it('an l5d-dtab header sent to web reaches the router through its gRPC call: gen-growthhack answers', async () => {
    const staged = await get(`${webUrl}/gob?text=gob&limit=3`, {
      'l5d-dtab': '/srv/proto.GenSvc => /srv/gen-growthhack',
    });
    expect(staged.status).toBe(200);
    expect(staged.headers['x-version']).toBe('gen-growthhack');
    expect(staged.body).toBe('gob <3 k8s\n'.repeat(3));
    // A router in front of web turns l5d-dtab into l5d-ctx-dtab; web passes that on too.
    const ctx = await get(`${webUrl}/gob?text=gob&limit=2`, {
      'l5d-ctx-dtab': '/srv/proto.GenSvc => /srv/gen-growthhack',
    });
    expect(ctx.body).toBe('gob <3 k8s\n'.repeat(2));
    // Without a text, the word call and then the gen call each carry it.
    const asked = await get(`${webUrl}/gob?limit=2`, { 'l5d-dtab': '/srv/proto.GenSvc => /srv/gen-growthhack' });
    expect(asked.body).toMatch(/^(\w+) <3 k8s\n\1 <3 k8s\n$/);
    // Everybody else still gets gen.
    expect((await get(`${webUrl}/gob?text=gob&limit=2`)).body).toBe('gob gob \n');
  });

  it('bad input gets a 400 that says what is wrong; other paths and methods get 404 and 405', async () => {
    const cases: [string, RegExp][] = [
      ['/gob?text=gob&limit=abc', /limit must be a whole number from 0 to 10000 .*got "abc"/],
      ['/gob?text=gob&limit=10001', /limit must be a whole number from 0 to 10000 .*got 10001/],
      ['/gob?text=gob&limit=-1', /limit must be a whole number/],
      ['/gob?text=gob&limit=99999999999999999999', /limit must be a whole number .*got "99999999999999999999"/],
      [`/gob?text=${'x'.repeat(101)}`, /text must be at most 100 characters, got 101/],
      ['/gob?text=go%0Ab', /control characters, found U\+000A at character 3/],
      ['/gob?text=a&text=b', /give text at most once/],
    ];
    for (const [path, why] of cases) {
      const r = await get(`${webUrl}${path}`);
      expect(r.status, path).toBe(400);
      expect(r.body).toMatch(why);
    }
    expect((await get(`${webUrl}/nope`)).status).toBe(404);
    const { request } = await import('undici');
    const post = await request(`${webUrl}/gob?text=gob`, { method: 'POST', body: '' });
    await post.body.text();
    expect(post.statusCode).toBe(405);
    expect(post.headers.allow).toBe('GET');
  });

  it('any text and limit: 200 with the text repeated when both are within bounds, else a 400 saying why', async () => {
    const text = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 120 }),
      fc.string({ unit: 'grapheme-ascii', minLength: 95, maxLength: 105 }),
    );
    const limit = fc.oneof(
      fc.integer({ min: 1, max: 3 }).map(String),
      fc.constantFrom('', '0x1', '1e3', '+2', ' 2', '10001', '-1'),
      // Not all digits: a valid limit like 0 (endless) or 5000 belongs to the other tests.
      fc.string({ maxLength: 8 }).filter((s) => !/^\d+$/.test(s)),
    );
    await fc.assert(
      fc.asyncProperty(text, limit, async (t, l) => {
        const sent = Buffer.from(t, 'utf8').toString('utf8'); // what a query carries: lone surrogates become U+FFFD
        const chars = [...sent];
        const ok =
          sent !== '' &&
          chars.length <= 100 &&
          !chars.some((c) => c.codePointAt(0)! < 0x20 || (c >= '\x7f' && c <= '\x9f')) &&
          /^\d+$/.test(l) &&
          Number(l) >= 1 &&
          Number(l) <= 3;
        const r = await get(`${webUrl}/gob?${new URLSearchParams({ text: sent, limit: l })}`);
        if (ok) {
          expect(r.status).toBe(200);
          expect(r.body).toBe(`${`${sent} `.repeat(Number(l))}\n`);
        } else if (sent === '' && /^[1-3]$/.test(l)) {
          expect(r.status).toBe(200); // word picked the text
        } else {
          expect(r.status).toBe(400);
          expect(r.body).toMatch(/^web: (limit|text) /);
        }
      }),
      { numRuns: 60 },
    );
  });

  it('a request target that is no URL (node passes `http://[` on) is a 400, and web keeps serving', async () => {
    const r = await rawExchange(webUrl, 'GET http://[ HTTP/1.1\r\nHost: web\r\nConnection: close\r\n\r\n');
    expect(r.status).toBe(400);
    expect(r.text).toContain('web: the request target is not a URL');
    expect((await get(`${webUrl}/`)).status).toBe(200);
  });

  it('a gen the router cannot reach is a 502 naming the gRPC status', async () => {
    const r = await get(`${webUrl}/gob?text=gob&limit=1`, { 'l5d-dtab': '/srv/proto.GenSvc => !' });
    expect(r.status).toBe(502);
    expect(r.body).toMatch(/^web: gen answered [A-Z_]+/);
  });

  it('limit=0 streams until the HTTP client hangs up; then web cancels the call and gen sees it', async () => {
    const before = gen.cancels;
    const received = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(`${webUrl}/gob?text=gob&limit=0`, (res) => {
        let bytes = 0;
        res.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          if (bytes >= 16 * 1024) {
            req.destroy();
            resolve(bytes);
          }
        });
        res.on('error', () => {});
      });
      req.on('error', (e) => (req.destroyed ? undefined : reject(e)));
      req.end();
    });
    expect(received).toBeGreaterThanOrEqual(16 * 1024);
    await gen.cancelled(before + 1);
    expect(gen.cancels).toBe(before + 1);
  });
});
