/**
 * The bounded request-body buffer behind gRPC retries: the first attempt reads the body through
 * it unchanged; a body that ended within the limit replays byte for byte (any number of times);
 * one past the limit, or not yet ended, never replays.
 */
import { PassThrough, type Readable } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ReplayBuffer } from '../../../src/router/core/replay-buffer.js';

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.from(c as Buffer));
  return Buffer.concat(chunks);
}

function sourceOf(chunks: readonly Uint8Array[], end = true): PassThrough {
  const s = new PassThrough();
  for (const c of chunks) s.write(c);
  if (end) s.end();
  return s;
}

describe('ReplayBuffer', () => {
  it('replays any body within the limit byte for byte, as often as asked', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.uint8Array({ minLength: 1, maxLength: 64 }), { maxLength: 16 }), async (chunks) => {
        const whole = Buffer.concat(chunks);
        const buffer = new ReplayBuffer(sourceOf(chunks), 1024);
        expect(await readAll(buffer.first)).toEqual(whole);
        expect(buffer.replayable).toBe(true);
        expect(await readAll(buffer.replay())).toEqual(whole);
        expect(await readAll(buffer.replay())).toEqual(whole);
      }),
      { numRuns: 100 },
    );
  });

  it('lets a body past the limit through to the first attempt, then refuses to replay it', async () => {
    const buffer = new ReplayBuffer(sourceOf([Buffer.alloc(10, 1), Buffer.alloc(10, 2)]), 15);
    expect(await readAll(buffer.first)).toHaveLength(20);
    expect(buffer.overflowed).toBe(true);
    expect(buffer.replayable).toBe(false);
    expect(() => buffer.replay()).toThrow(/cannot be replayed/);
  });

  it('keeps a body of exactly the limit', async () => {
    const buffer = new ReplayBuffer(sourceOf([Buffer.alloc(16, 7)]), 16);
    await readAll(buffer.first);
    expect(buffer.replayable).toBe(true);
  });

  it('does not replay a body whose end has not arrived', async () => {
    const source = sourceOf([Buffer.from('part')], false);
    const buffer = new ReplayBuffer(source, 1024);
    buffer.first.resume();
    await new Promise((r) => setImmediate(r));
    expect(buffer.bytes).toBe(4);
    expect(buffer.replayable).toBe(false);
    source.end();
    await new Promise((r) => buffer.first.once('end', r));
    expect(buffer.replayable).toBe(true);
  });
});
