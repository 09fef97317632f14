/** The throttle behind the router's log lines, on a hand-stepped clock. */
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/telemetry/logger.js';
import { ThrottledLog } from '../../src/telemetry/throttled-log.js';

function setup(options: { maxKeys?: number; maxLinesPerInterval?: number } = {}) {
  const out = new PassThrough();
  const lines: Record<string, unknown>[] = [];
  out.on('data', (c: Buffer) => {
    for (const l of c.toString().split('\n')) if (l) lines.push(JSON.parse(l));
  });
  let now = 0;
  const log = new ThrottledLog(createLogger({ level: 'info', format: 'json', destination: out }), {
    now: () => now,
    ...options,
  });
  return { log, lines, step: (ms: number) => (now += ms), flush: () => new Promise((r) => setImmediate(r)) };
}

describe('ThrottledLog', () => {
  it('writes a key once per interval and reports what it left out on its next line', async () => {
    const { log, lines, step, flush } = setup();
    for (let i = 0; i < 5; i++) log.log('warn', 'a', () => ({ i }), 'event');
    step(1000);
    log.log('warn', 'a', () => ({ i: 5 }), 'event');
    await flush();
    expect(lines.map((l) => [l.i, l.suppressed])).toEqual([
      [0, undefined],
      [5, 4],
    ]);
  });

  it('caps the lines of all keys together, and the keys it remembers', async () => {
    const { log, lines, step, flush } = setup({ maxKeys: 10, maxLinesPerInterval: 3 });
    for (let i = 0; i < 50; i++) log.log('warn', `k${i}`, () => ({ i }), 'event');
    await flush();
    expect(lines).toHaveLength(3);
    step(1000);
    for (let i = 50; i < 100; i++) log.log('warn', `k${i}`, () => ({ i }), 'event');
    await flush();
    expect(lines).toHaveLength(6);
  });

  it('does no work below the logger level', async () => {
    const { log, lines, flush } = setup();
    let built = 0;
    log.log('info', 'x', () => ({ built: ++built }), 'fine');
    const quiet = new ThrottledLog(createLogger({ level: 'error', format: 'json', destination: new PassThrough() }));
    quiet.log('warn', 'x', () => ({ built: ++built }), 'skipped');
    await flush();
    expect(built).toBe(1);
    expect(lines).toHaveLength(1);
  });
});
