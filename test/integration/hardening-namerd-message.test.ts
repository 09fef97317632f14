/**
 * Write messages (`X-Dtab-Message`, `?message=`) are kept with each version and printed later by
 * `namectl dtab history`: a message is bounded in length and may not carry control characters
 * (line breaks that forge history rows, escape sequences that rewrite the operator's terminal),
 * and a refused message stores nothing. `namectl dtab history` and `namectl dtab watch` escape
 * whatever a store already holds from before.
 */
import { Writable } from 'node:stream';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main as namectl } from '../../src/cli/namectl.js';
import { namerdConfig } from '../../src/config/namerd-config.js';
import { Dtab } from '../../src/dtab/dtab.js';
import { MemoryDtabStore } from '../../src/store/memory-store.js';
import { runMain } from '../helpers/cli-run.js';
import { type RunningNamerd, startNamerd } from '../helpers/namerd-server.js';

const store = new MemoryDtabStore();
let namerd: RunningNamerd;
beforeAll(async () => {
  namerd = await startNamerd({ store });
});
afterAll(() => namerd.close());

async function write(method: string, ns: string, headers: Record<string, string>, query = '') {
  const res = await request(`${namerd.url}/api/1/dtabs/${ns}${query}`, {
    method: method as 'PUT',
    headers: { 'content-type': 'application/dtab', ...headers },
    ...(method === 'DELETE' ? {} : { body: '/svc=>/$/inet/127.0.0.1/8080' }),
  });
  return { status: res.statusCode, body: await res.body.text() };
}

const LONG_ASCII = 'a'.repeat(1025);
const LONG_UTF8 = '€'.repeat(342); // 1026 bytes in 342 characters
const HOSTILE = [
  '\x1b[2J\x1b[Hall clear',
  'line one\nVERSION 99 forged row',
  'tab\there',
  'bell\x07',
  'c1 csi \u009b31m',
  'bidi \u202eevil',
  'nul\u0000',
];

describe('write messages', () => {
  it('takes a message of exactly the limit (1024 bytes), percent-encoded UTF-8 included', async () => {
    expect((await write('PUT', 'fits', { 'x-dtab-message': 'a'.repeat(1024) })).status).toBe(204);
    const euro = encodeURIComponent('€'.repeat(341)); // 1023 bytes
    expect((await write('PUT', 'fits', { 'x-dtab-message': euro })).status).toBe(204);
    expect((await store.history('fits')).map((h) => h.message?.length)).toEqual([341, 1024]);
  });

  for (const [method, setup] of [
    ['POST', false],
    ['PUT', true],
    ['DELETE', true],
  ] as const) {
    it(`${method} with a message over the limit or with control characters: 400, nothing stored`, async () => {
      const ns = `refused-${method.toLowerCase()}`;
      if (setup) await store.put(ns, Dtab.read('/a=>/b'), { message: 'before' });
      const before = await store.history(ns);
      const cases: [Record<string, string>, string][] = [
        [{ 'x-dtab-message': LONG_ASCII }, ''],
        [{ 'x-dtab-message': encodeURIComponent(LONG_UTF8) }, ''],
        [{}, `?message=${LONG_ASCII}`],
        ...HOSTILE.map((m): [Record<string, string>, string] => [{ 'x-dtab-message': encodeURIComponent(m) }, '']),
        ...HOSTILE.map((m): [Record<string, string>, string] => [{}, `?message=${encodeURIComponent(m)}`]),
      ];
      for (const [headers, query] of cases) {
        const answer = await write(method, ns, headers, query);
        expect(answer, JSON.stringify([headers, query])).toMatchObject({ status: 400 });
        expect(answer.body).toMatch(/^Invalid write message: it (is \d+ bytes long; the limit is 1024|contains)/);
      }
      expect(await store.history(ns)).toEqual(before);
      expect(await store.list()).not.toContain(setup ? 'nothing' : ns);
    });
  }

  it('names the character and where it is', async () => {
    const answer = await write('PUT', 'named', { 'x-dtab-message': encodeURIComponent('ok so far\x1b[31m') });
    expect(answer.body.trim()).toBe(
      'Invalid write message: it contains the control character \\x1b at character 10; messages are one line of printable text',
    );
  });
});

describe('namectl dtab history on messages stored before the rule', () => {
  it('prints control characters escaped, one row per version', async () => {
    // Written straight into the store, as an older namerd would have kept them.
    await store.put('old', Dtab.read('/a=>/1'), { message: '\x1b[2J\x1b[Hwiped' });
    await store.put('old', Dtab.read('/a=>/2'), { message: 'two\nVERSION 99 forged' });
    await store.put('old', Dtab.read('/a=>/3'), { message: 'c1 \u009b31m and bidi \u202e' });
    const run = await runMain(namectl, ['dtab', 'history', 'old'], { env: { NAMECTL_BASE_URL: namerd.url } });
    expect(run.code).toBe(0);
    expect(run.stdout).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e]/);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[1]).toMatch(/c1 \\x9b31m and bidi \\u202e$/);
    expect(lines[2]).toMatch(/two\\nVERSION 99 forged$/);
    expect(lines[3]).toMatch(/\\x1b\[2J\\x1b\[Hwiped$/);
  });
});

describe('namectl dtab watch on a message stored before the rule', () => {
  it('prints the version header with control characters escaped', async () => {
    await store.put('watched-old', Dtab.read('/a=>/1'), { message: 'evil\x1b]0;pwned\x07\nforged line' });
    let text = '';
    let seen: () => void = () => {};
    const printed = new Promise<void>((resolve) => (seen = resolve));
    const stdout = new Writable({
      write(chunk, _enc, done) {
        text += chunk;
        if (text.includes('/a')) seen();
        done();
      },
    });
    const stop = new AbortController();
    const watching = runMain(namectl, ['dtab', 'watch', 'watched-old'], {
      env: { NAMECTL_BASE_URL: namerd.url },
      stdout,
      signal: stop.signal,
    });
    await printed;
    stop.abort();
    expect((await watching).code).toBe(0);
    expect(text.split('\n')[0]).toMatch(/ evil\\x1b\]0;pwned\\x07\\nforged line$/);
    expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
  });
});

describe('the config keys', () => {
  it('default to 1024-byte messages and 1 MiB watch backlogs, and report bad values together', () => {
    const config = namerdConfig(null);
    expect([config.maxMessageBytes, config.watchHighWaterBytes]).toEqual([1024, 1024 * 1024]);
    expect(namerdConfig('maxMessageBytes: 200\nwatchHighWaterBytes: 65536\n')).toMatchObject({
      maxMessageBytes: 200,
      watchHighWaterBytes: 65536,
    });
    let message = '';
    try {
      namerdConfig('maxMessageBytes: 0\nwatchHighWaterBytes: lots\n');
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('maxMessageBytes');
    expect(message).toContain('watchHighWaterBytes');
  });
});
