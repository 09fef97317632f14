/**
 * The watch stream's framing under any chunking (docs/k8s-namer.md#the-watch-stream; behaviour 12
 * of docs/k8s-namer.md#behaviours-the-tests-pin-down): the API server and proxies split events
 * across chunks and pack many into one, anywhere, including inside a UTF-8 sequence. A seeded
 * property test cuts random event streams at random points and checks the parser yields exactly the
 * events that were written; the edge cases are pinned by hand.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { WatchEvent } from '../../src/namers/k8s/k8s-objects.js';
import { WatchLineParser, WatchStreamError } from '../../src/namers/k8s/watch-stream.js';

const event = fc.record({
  type: fc.constantFrom('ADDED', 'MODIFIED', 'DELETED', 'BOOKMARK', 'ERROR'),
  object: fc.record({
    metadata: fc.record({
      name: fc.string({ unit: 'grapheme', maxLength: 12 }),
      resourceVersion: fc.nat().map(String),
    }),
    note: fc.string({ unit: 'binary', maxLength: 30 }),
  }),
}) as fc.Arbitrary<WatchEvent>;

function parseAll(chunks: readonly Buffer[]): WatchEvent[] {
  const parser = new WatchLineParser();
  return chunks.flatMap((c) => parser.push(c));
}

/** Cuts `bytes` at the given (sorted, deduplicated) offsets. */
function cut(bytes: Buffer, offsets: readonly number[]): Buffer[] {
  const points = [...new Set(offsets.map((o) => o % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let start = 0;
  for (const p of points) {
    chunks.push(bytes.subarray(start, p));
    start = p;
  }
  chunks.push(bytes.subarray(start));
  return chunks;
}

describe('WatchLineParser', () => {
  it('yields the written events whatever the chunk boundaries (seeded property)', () => {
    fc.assert(
      fc.property(fc.array(event, { maxLength: 20 }), fc.array(fc.nat(), { maxLength: 40 }), (events, offsets) => {
        const bytes = Buffer.from(events.map((e) => `${JSON.stringify(e)}\n`).join(''));
        expect(parseAll(cut(bytes, offsets))).toEqual(events);
      }),
      { seed: 1234, numRuns: 300 },
    );
  });

  it('reads a stream delivered one byte at a time, multi-byte characters included', () => {
    const events: WatchEvent[] = [
      { type: 'ADDED', object: { metadata: { name: 'café-ü-😀', resourceVersion: '1' } } },
      { type: 'BOOKMARK', object: { metadata: { resourceVersion: '2' } } },
    ];
    const bytes = Buffer.from(events.map((e) => `${JSON.stringify(e)}\n`).join(''));
    expect(parseAll([...bytes].map((b) => Buffer.from([b])))).toEqual(events);
  });

  it('reads many events packed in one chunk, CRLF endings and blank lines included', () => {
    const a = { type: 'ADDED', object: { metadata: { name: 'a' } } };
    const b = { type: 'DELETED', object: { metadata: { name: 'b' } } };
    const text = `${JSON.stringify(a)}\r\n\n${JSON.stringify(b)}\n`;
    expect(new WatchLineParser().push(Buffer.from(text))).toEqual([a, b]);
  });

  it('keeps a partial line until its newline and reports it at the end of the stream', () => {
    const parser = new WatchLineParser();
    expect(parser.push('{"type":"ADDED","object":{"metadata"')).toEqual([]);
    expect(parser.partial).toBe(true);
    expect(parser.push(':{"name":"a"}}}\n')).toHaveLength(1);
    expect(parser.partial).toBe(false);
  });

  it('skips event types it does not know, and fails on a line that is not an event', () => {
    expect(new WatchLineParser().push('{"type":"FUTURE","object":{}}\n')).toEqual([]);
    expect(() => new WatchLineParser().push('<html>bad gateway</html>\n')).toThrow(WatchStreamError);
    expect(() => new WatchLineParser().push('{"type":"ADDED"}\n')).toThrow(WatchStreamError);
  });

  it('parses a 10,000-endpoint event delivered in 1 KiB chunks in linear time', () => {
    const endpoints = Array.from({ length: 10_000 }, (_, i) => ({
      addresses: [`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`],
      conditions: { ready: true },
    }));
    const line = Buffer.from(
      `${JSON.stringify({ type: 'MODIFIED', object: { metadata: { name: 's' }, endpoints } })}\n`,
    );
    const chunks = cut(
      line,
      Array.from({ length: Math.ceil(line.length / 1024) }, (_, i) => i * 1024),
    );
    const started = performance.now();
    const [parsed] = parseAll(chunks);
    expect((parsed!.object as { endpoints: unknown[] }).endpoints).toHaveLength(10_000);
    expect(performance.now() - started).toBeLessThan(500);
  });
});
