/**
 * `namectl dtab watch` reads namerd's chunked stream through the shared line reader
 * (src/namerd-protocol/): a chunk boundary can fall anywhere, also inside a multi-byte UTF-8
 * character, and the text printed must be what namerd sent (`café`, not `caf��`). A fake namerd
 * on port 0 sends each ndjson event in two writes cut inside its first multi-byte character.
 */
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { main as namectl } from '../../src/cli/namectl.js';
import { runMain } from '../helpers/cli-run.js';

/** Writes `text` in two chunks cut inside its first multi-byte character; waits until both are flushed. */
async function writeSplit(res: ServerResponse, text: string): Promise<void> {
  const bytes = Buffer.from(text);
  const cut = bytes.findIndex((b) => b >= 0xc0) + 1;
  expect(cut).toBeGreaterThan(0);
  await new Promise<void>((ok) => res.write(bytes.subarray(0, cut), () => ok()));
  // A separate turn of the event loop, so the two halves travel as separate chunks.
  await new Promise((ok) => setTimeout(ok, 50));
  await new Promise<void>((ok) => res.write(bytes.subarray(cut), () => ok()));
}

async function fakeNamerd(contentType: string, lines: string[]) {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': contentType });
    void (async () => {
      for (const line of lines) await writeSplit(res, line);
    })();
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const close = () => {
    server.closeAllConnections();
    return new Promise((ok) => server.close(ok));
  };
  return { url, close };
}

/** Standard output that can be awaited until it says something. */
function liveOutput() {
  let text = '';
  let wake = () => {};
  const stream = new Writable({
    write(chunk: Buffer, _enc, callback) {
      text += chunk.toString();
      wake();
      callback();
    },
  });
  const until = (test: (t: string) => boolean) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out; output so far: ${text}`)), 10_000);
      wake = () => {
        if (test(text)) {
          clearTimeout(timer);
          resolve();
        }
      };
      wake();
    });
  return { stream, until, text: () => text };
}

async function watch(url: string, args: string[], done: (t: string) => boolean) {
  const out = liveOutput();
  const stop = new AbortController();
  const watching = runMain(namectl, ['dtab', 'watch', 'x', ...args], {
    env: { NAMECTL_BASE_URL: url },
    stdout: out.stream,
    signal: stop.signal,
  });
  await out.until(done);
  stop.abort();
  return { run: await watching, text: out.text() };
}

describe('namectl dtab watch decodes UTF-8 split across chunks', () => {
  it('ndjson: the message prints as sent', async () => {
    const event = (n: number, message: string) =>
      `${JSON.stringify({ type: 'dtab', namespace: 'x', version: `v${n}`, number: n, time: 'T', message, dtab: `/a=>/b${n}` })}\n`;
    const fake = await fakeNamerd('application/x-ndjson', [event(1, 'café au lait'), event(2, 'naïve → 東京')]);
    const { run, text } = await watch(fake.url, [], (t) => t.includes('(2)') && t.includes('/b2'));
    await fake.close();
    expect(run).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(text).toBe(
      '# version v1 (1) T café au lait\n/a  => /b1 ;\n\n# version v2 (2) T naïve → 東京\n/a  => /b2 ;\n',
    );
    expect(text).not.toContain('\uFFFD');
  });

  it('--json: the event is printed whole and intact', async () => {
    const line = `${JSON.stringify({ type: 'dtab', namespace: 'x', version: 'v1', number: 1, time: 'T', message: 'Ωmega', dtab: '/a=>/b' })}\n`;
    const fake = await fakeNamerd('application/x-ndjson', [line]);
    const { run, text } = await watch(fake.url, ['--json'], (t) => t.includes('\n'));
    await fake.close();
    expect(run.code).toBe(0);
    expect(JSON.parse(text)).toMatchObject({ message: 'Ωmega' });
  });
});
