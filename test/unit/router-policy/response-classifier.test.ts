/**
 * linkerd's HTTP response classifiers as a table: method × outcome × chunked body → class,
 * for each classifier kind; and which connection failures may be requeued.
 */
import { describe, expect, it } from 'vitest';
import {
  CLASSIFIER_KINDS,
  type ClassifierKind,
  DEFAULT_CLASSIFIER,
  type ErrorKind,
  isRequeueable,
  type ResponseClass,
  responseClassifier,
} from '../../../src/router/policy/response-classifier.js';

const S: ResponseClass = 'success';
const F: ResponseClass = 'failure';
const R: ResponseClass = 'retryable-failure';

type Row = [method: string, outcome: number | ErrorKind, chunked: boolean, expected: Record<string, ResponseClass>];

// Columns: nonRetryable5XX, retryableRead5XX, retryableIdempotent5XX, retryableAll5XX, allSuccessful.
const KINDS: ClassifierKind[] = [
  'io.l5d.http.nonRetryable5XX',
  'io.l5d.http.retryableRead5XX',
  'io.l5d.http.retryableIdempotent5XX',
  'io.l5d.http.retryableAll5XX',
  'io.l5d.http.allSuccessful',
];
const row = (method: string, outcome: number | ErrorKind, chunked: boolean, ...classes: ResponseClass[]): Row => [
  method,
  outcome,
  chunked,
  Object.fromEntries(KINDS.map((k, i) => [k, classes[i]!])),
];

const TABLE: Row[] = [
  row('GET', 200, false, S, S, S, S, S),
  row('GET', 404, false, S, S, S, S, S),
  row('GET', 499, false, S, S, S, S, S),
  row('GET', 500, false, F, R, R, R, S),
  row('GET', 503, false, F, R, R, R, S),
  row('GET', 599, false, F, R, R, R, S),
  row('HEAD', 502, false, F, R, R, R, S),
  row('OPTIONS', 500, false, F, R, R, R, S),
  row('TRACE', 500, false, F, R, R, R, S),
  row('PUT', 500, false, F, F, R, R, S),
  row('DELETE', 504, false, F, F, R, R, S),
  row('POST', 500, false, F, F, F, R, S),
  row('PATCH', 500, false, F, F, F, R, S),
  row('POST', 201, false, S, S, S, S, S),
  row('CONNECT', 500, false, F, F, F, F, S),
  row('get', 500, false, F, F, F, F, S),
  // Chunked request bodies are never retryable.
  row('GET', 500, true, F, F, F, F, S),
  row('PUT', 503, true, F, F, F, F, S),
  row('POST', 500, true, F, F, F, F, S),
  row('POST', 200, true, S, S, S, S, S),
  // Errors: timeouts and broken connections are retryable for the classifier's methods; others never.
  row('GET', 'timeout', false, F, R, R, R, F),
  row('GET', 'closed', false, F, R, R, R, F),
  row('GET', 'write', false, F, R, R, R, F),
  row('GET', 'connect', false, F, R, R, R, F),
  row('GET', 'other', false, F, F, F, F, F),
  row('PUT', 'timeout', false, F, F, R, R, F),
  row('POST', 'closed', false, F, F, F, R, F),
  row('GET', 'timeout', true, F, F, F, F, F),
];

describe('response classifiers', () => {
  for (const kind of KINDS) {
    it(`${kind} classifies the table`, () => {
      const c = responseClassifier(kind)!;
      expect(c.kind).toBe(kind);
      const got = TABLE.map(([m, o, ch]) => `${m} ${o} ${ch} → ${c.classify(m, o, ch)}`);
      const want = TABLE.map(([m, o, ch, e]) => `${m} ${o} ${ch} → ${e[kind]}`);
      expect(got).toEqual(want);
    });
  }

  it('defaults to nonRetryable5XX and reads the short io.l5d.* spellings', () => {
    expect(DEFAULT_CLASSIFIER).toBe('io.l5d.http.nonRetryable5XX');
    expect(responseClassifier()!.kind).toBe('io.l5d.http.nonRetryable5XX');
    expect(responseClassifier('io.l5d.retryableRead5XX')!.kind).toBe('io.l5d.http.retryableRead5XX');
    expect(responseClassifier('io.l5d.http.bogus')).toBeUndefined();
    expect(responseClassifier('toString')).toBeUndefined();
    expect(CLASSIFIER_KINDS).toContain('io.l5d.allSuccessful');
    expect(CLASSIFIER_KINDS).toHaveLength(10);
  });

  it('requeues only failures before any byte of the request was written', () => {
    const kinds: ErrorKind[] = ['connect', 'write', 'timeout', 'closed', 'other'];
    expect(kinds.filter(isRequeueable)).toEqual(['connect']);
  });
});
