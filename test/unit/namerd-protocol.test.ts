/**
 * namerd's wire protocol, as namerd writes it and every client reads it (src/namerd-protocol/):
 * the line reader gives back the same lines however the bytes are cut into chunks (inside a
 * UTF-8 character too) and refuses a line past its ceiling without holding more than that; watch
 * events survive encode → parse; namerd's own format (a bare JSON dtab) reads as a dtab event.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LineTooLongError, readLines } from '../../src/namerd-protocol/line-reader.js';
import { encodeWatchEvent, parseWatchEvent, type WireEvent } from '../../src/namerd-protocol/watch-event.js';

async function collect(chunks: (Uint8Array | string)[], maxLineChars?: number): Promise<string[]> {
  async function* body() {
    yield* chunks;
  }
  const lines: string[] = [];
  for await (const line of readLines(body(), maxLineChars === undefined ? {} : { maxLineChars })) lines.push(line);
  return lines;
}

/** `bytes` cut at the given positions. */
function cutAt(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let start = 0;
  for (const c of [...at, bytes.length]) {
    out.push(bytes.subarray(start, c));
    start = c;
  }
  return out;
}

const line = fc
  .string({ unit: 'grapheme', minLength: 1, maxLength: 20 })
  .filter((s) => !/[\n\r]/.test(s) && s.trim() !== '');

describe('readLines', () => {
  it('gives back every line whole, wherever the chunks are cut (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(line, { maxLength: 12 }),
        fc.array(fc.nat(), { maxLength: 30 }),
        async (lines, cuts) => {
          const bytes = Buffer.from(lines.map((l) => `${l}\n`).join(''));
          expect(await collect(cutAt(bytes, cuts))).toEqual(lines);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('decodes a character cut between two chunks (é = C3 | A9)', async () => {
    const bytes = Buffer.from('{"message":"café"}\n');
    const cut = bytes.indexOf(0xc3) + 1;
    expect(await collect([bytes.subarray(0, cut), bytes.subarray(cut)])).toEqual(['{"message":"café"}']);
  });

  it('takes CRLF, skips blank lines and drops an unfinished last line', async () => {
    expect(await collect(['a\r\n\n  \nb\n', 'partial'])).toEqual(['a', 'b']);
  });

  it('refuses a line past the ceiling, with or without its newline', async () => {
    await expect(collect(['x'.repeat(11), '\n'], 10)).rejects.toThrow(LineTooLongError);
    // Never ending: refused as soon as the unfinished part passes the ceiling, not at the end.
    let sent = 0;
    async function* endless() {
      for (;;) {
        sent++;
        yield Buffer.alloc(1024, 0x61);
      }
    }
    const reading = (async () => {
      for await (const _ of readLines(endless(), { maxLineChars: 64 * 1024 })) {
        // no line ever ends
      }
    })();
    await expect(reading).rejects.toThrow(/longer than 65536 characters/);
    expect(sent).toBe(65);
  });
});

const text = fc.string({ unit: 'grapheme', maxLength: 30 });
const event: fc.Arbitrary<WireEvent> = fc.oneof(
  fc.record(
    {
      type: fc.constant('dtab' as const),
      namespace: fc.constant('ns'),
      version: fc.constant('AAAAAAAAAAE='),
      number: fc.nat(),
      time: text,
      message: text,
      dtab: fc.constant('/a=>/b'),
    },
    { requiredKeys: ['type', 'namespace', 'dtab'] },
  ),
  fc.record({ type: fc.constant('deleted' as const), namespace: fc.constant('ns') }),
  fc.record({ type: fc.constant('heartbeat' as const), time: text }),
  fc.record({ type: fc.constant('error' as const), namespace: fc.constant('ns'), message: text }),
);

describe('watch events', () => {
  it('parse back to what was encoded, as one line (property)', () => {
    fc.assert(
      fc.property(event, (e) => {
        const encoded = encodeWatchEvent(e);
        expect(encoded.indexOf('\n')).toBe(encoded.length - 1);
        expect(parseWatchEvent(encoded.slice(0, -1), 'ns')).toEqual(e);
      }),
    );
  });

  it("reads namerd's own format (a JSON dtab, no version) as a dtab event", () => {
    expect(parseWatchEvent('[{"prefix":"/svc","dst":"/#/io.l5d.fs"}]', 'web')).toEqual({
      type: 'dtab',
      namespace: 'web',
      dtab: '/svc=>/#/io.l5d.fs',
    });
  });

  it('reports what it cannot read instead of dropping it', () => {
    expect(parseWatchEvent('store unavailable', 'ns')).toEqual({
      type: 'unknown',
      line: 'store unavailable',
      json: false,
    });
    expect(parseWatchEvent('{"type":"resync"}', 'ns')).toMatchObject({ type: 'unknown', json: true });
    expect(parseWatchEvent('{"type":"dtab","namespace":"ns"}', 'ns')).toMatchObject({ type: 'unknown', json: false });
    expect(parseWatchEvent('{"type":"dtab","namespace":"ns","dtab":"/a=>/b","number":"7"}', 'ns')).toEqual({
      type: 'dtab',
      namespace: 'ns',
      dtab: '/a=>/b',
    });
  });
});
