/**
 * Target validation: defaults as goto fills them (one request per replica, GET, http:// when the
 * scheme is missing), durations as people write them, every problem reported with its field in
 * one error, and a filled-in spec that parses back to itself.
 */
import { describe, expect, it } from 'vitest';
import { SwitchyardError } from '../../src/errors.js';
import { formatDuration, parseDuration } from '../../src/traffic/duration.js';
import { parseTarget } from '../../src/traffic/target-spec.js';

function problems(raw: unknown): string {
  try {
    parseTarget(raw);
  } catch (e) {
    expect(e).toBeInstanceOf(SwitchyardError);
    expect(e).toMatchObject({ code: 'SY_ERR_INVALID_TARGET', status: 400 });
    return (e as Error).message;
  }
  throw new Error('expected the target to be refused');
}

describe('parseDuration and formatDuration', () => {
  it.each([
    ['250ms', 250],
    ['5s', 5000],
    ['1.5s', 1500],
    ['1m30s', 90_000],
    ['2h', 7_200_000],
    ['500us', 0.5],
    ['100', 100],
  ])('%s is %d ms', (text, ms) => expect(parseDuration(text)).toBe(ms));

  it.each(['', 's', '5 s', '5x', '-1s', '1s2'])('refuses %j', (text) => expect(parseDuration(text)).toBeNull());

  it.each([
    [0, '0ms'],
    [999, '999ms'],
    [1500, '1.5s'],
    [60_000, '1m'],
    [90_000, '1m30s'],
  ])('formats %d ms as %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
    expect(parseDuration(text)).toBe(ms);
  });
});

describe('parseTarget', () => {
  it('fills in goto defaults', () => {
    const t = parseTarget({ name: 'a', url: '127.0.0.1:8080/x?y=1' });
    expect(t.spec).toEqual({
      name: 'a',
      protocol: 'http/1.1',
      method: 'GET',
      service: null,
      url: 'http://127.0.0.1:8080/x?y=1',
      headers: {},
      body: null,
      bodyBase64: null,
      replicas: 1,
      requestCount: null,
      totalRequests: null,
      duration: null,
      qps: null,
      initialDelay: '0ms',
      delay: '0ms',
      requestTimeout: '30s',
      retries: 0,
      retryDelay: '1s',
      retriableStatusCodes: [],
      sendID: false,
      autoInvoke: false,
      trackHeaders: [],
    });
    expect(t.budget).toBe(1);
    expect(t.durationMs).toBe(Number.POSITIVE_INFINITY);
  });

  it('counts requestCount per replica, totalRequests in all, and a duration alone as unbounded count', () => {
    expect(parseTarget({ name: 'a', url: 'http://h', replicas: 4, requestCount: 10 }).budget).toBe(40);
    expect(parseTarget({ name: 'a', url: 'http://h', replicas: 4, totalRequests: 10 }).budget).toBe(10);
    const timed = parseTarget({ name: 'a', url: 'http://h', duration: '2s', qps: 50 });
    expect(timed.budget).toBe(Number.POSITIVE_INFINITY);
    expect(timed.durationMs).toBe(2000);
    // In the open loop replicas caps requests in flight; 1 would throttle any slow upstream.
    expect(timed.spec.replicas).toBe(64);
    // …so there requestCount counts requests in all, and the filled-in spec means the same.
    const counted = parseTarget({ name: 'a', url: 'http://h', qps: 5, requestCount: 7 });
    expect(counted.budget).toBe(7);
    expect(parseTarget(counted.spec).budget).toBe(7);
    expect(parseTarget({ name: 'a', url: 'http://h', qps: 5, requestCount: 7, replicas: 2 }).budget).toBe(7);
  });

  it('accepts both header forms, lower-cases names, and tracks headers given as a list or a comma string', () => {
    const a = parseTarget({
      name: 'a',
      url: 'http://h',
      headers: { 'L5d-Dtab': '/a=>/b' },
      trackHeaders: 'X-Version, x-zone',
    });
    const b = parseTarget({
      name: 'a',
      url: 'http://h',
      headers: [['l5d-dtab', '/a=>/b']],
      trackHeaders: ['x-version', 'X-Zone'],
    });
    expect(a.spec.headers).toEqual({ 'l5d-dtab': '/a=>/b' });
    expect(b.spec.headers).toEqual(a.spec.headers);
    expect(a.spec.trackHeaders).toEqual(['x-version', 'x-zone']);
    expect(b.spec.trackHeaders).toEqual(a.spec.trackHeaders);
  });

  it('parses its own filled-in spec back to the same target', () => {
    const t = parseTarget({
      name: 'round',
      method: 'post',
      url: 'https://h:8443/p',
      body: '{}',
      replicas: 3,
      totalRequests: 30,
      qps: 12.5,
      initialDelay: '1s',
      requestTimeout: '1m30s',
      retries: 2,
      retryDelay: '10ms',
      retriableStatusCodes: [502, 503],
      sendID: true,
      autoInvoke: true,
    });
    expect(parseTarget(JSON.parse(JSON.stringify(t.spec))).spec).toEqual(t.spec);
  });

  it('reports every problem, each with its field', () => {
    const message = problems({
      url: 'ftp://x',
      replicas: 0,
      requestCount: -1,
      qps: 'fast',
      duration: 'soon',
      retries: 1.5,
      headers: { 'bad header': 'x' },
      retriableStatusCodes: [700],
      sendID: 'yes',
      extra: 1,
    });
    for (const field of [
      'name: is required',
      'url: must be an http',
      'replicas: must be an integer from 1',
      'requestCount: must be an integer from 1',
      'qps: must be a positive number',
      'duration: must be a duration',
      'retries: must be an integer from 0 to 10',
      'headers.bad header:',
      'retriableStatusCodes:',
      'sendID: must be true or false',
      'extra: unknown field',
    ]) {
      expect(message).toContain(field);
    }
  });

  it.each([
    [{ name: 'a', url: 'http://h', qps: 10 }, 'qps: needs a bound'],
    [{ name: 'a', url: 'http://h', qps: 10, duration: '1s', delay: '5ms' }, 'delay: cannot be combined with qps'],
    [{ name: 'a', url: 'http://h', requestCount: 1, totalRequests: 1 }, 'totalRequests: cannot be combined'],
    [{ name: 'a,b', url: 'http://h' }, 'name: is required'],
    [{ name: 'a', url: 'http://h', duration: '25h' }, 'at most 24h'],
    [{ name: 'a', url: 'http://h', requestTimeout: '0s' }, 'requestTimeout: must be a duration'],
  ])('refuses %j', (raw, problem) => expect(problems(raw)).toContain(problem));

  it('refuses a body that is not an object', () => {
    expect(problems([1, 2])).toContain('must be a JSON object');
    expect(problems(null)).toContain('must be a JSON object');
  });
});
