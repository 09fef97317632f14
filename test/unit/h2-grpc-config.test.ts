/**
 * The router keys of the HTTP/2 and gRPC work: `protocol`, `client.protocol`, `h2.*`,
 * `retryBufferSize.*` and the gRPC kinds of `responseClassifier` (with `retryableStatusCodes`):
 * defaults, accepted values, every problem listed with its key and position, exit 64 from the
 * CLI, and the JSON Schema agreeing with the validator.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { routerCommand } from '../../src/cli/router-command.js';
import { configSchema } from '../../src/config/config-reference.js';
import { routerConfig } from '../../src/config/router-config.js';
import { runMain } from '../helpers/cli-run.js';

const DTAB = 'dtab: /svc => /$/inet/127.0.0.1/1\n';
const problems = (yaml: string): string => {
  try {
    routerConfig(DTAB + yaml);
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('accepted');
};
const schema = new Ajv2020({ allErrors: true, strict: false }).compile(configSchema('router'));

describe('HTTP/2 and gRPC router keys', () => {
  it('default to auto, the inbound protocol, 100 streams, a 65535 window, the HTTP/1.1 head limit and 8 KiB buffers', () => {
    const c = routerConfig(DTAB);
    expect(c.protocol).toBe('auto');
    expect(c.client).toEqual({ protocol: 'inbound' });
    expect(c.h2).toEqual({ maxConcurrentStreams: 100, initialWindowSize: 65_535, maxHeaderListSize: 8192 });
    expect(c.retryBufferSize).toEqual({ requestBytes: 8192, responseBytes: 8192 });
    expect(c.responseClassifier).toBe('io.l5d.http.nonRetryable5XX');
    expect(c.retryableStatusCodes).toEqual([]);
  });

  it('follows maxHeadersKB for h2.maxHeaderListSize unless it is given', () => {
    expect(routerConfig(`${DTAB}maxHeadersKB: 16\n`).h2.maxHeaderListSize).toBe(16 * 1024);
    expect(routerConfig(`${DTAB}maxHeadersKB: 16\nh2: {maxHeaderListSize: 4096}\n`).h2.maxHeaderListSize).toBe(4096);
  });

  it('reads every key as given', () => {
    const c = routerConfig(`${DTAB}protocol: h2
client: {protocol: h2}
h2: {maxConcurrentStreams: 7, initialWindowSize: 1048576, maxHeaderListSize: 2048}
retryBufferSize: {requestBytes: 0, responseBytes: 65536}
responseClassifier: {kind: io.l5d.h2.grpc.retryableStatusCodes, retryableStatusCodes: [4, 14]}
`);
    expect(c.protocol).toBe('h2');
    expect(c.client.protocol).toBe('h2');
    expect(c.h2).toEqual({ maxConcurrentStreams: 7, initialWindowSize: 1_048_576, maxHeaderListSize: 2048 });
    expect(c.retryBufferSize).toEqual({ requestBytes: 0, responseBytes: 65_536 });
    expect(c.responseClassifier).toBe('io.l5d.h2.grpc.retryableStatusCodes');
    expect(c.retryableStatusCodes).toEqual([4, 14]);
    expect(Object.isFrozen(c.retryableStatusCodes)).toBe(true);
  });

  it('takes a classifier as a bare kind or as linkerd’s {kind} mapping, HTTP or gRPC', () => {
    expect(routerConfig(`${DTAB}responseClassifier: io.l5d.h2.grpc.default\n`).responseClassifier).toBe(
      'io.l5d.h2.grpc.default',
    );
    expect(routerConfig(`${DTAB}responseClassifier: {kind: io.l5d.http.retryableRead5XX}\n`).responseClassifier).toBe(
      'io.l5d.http.retryableRead5XX',
    );
    expect(routerConfig(`${DTAB}client: {protocol: http/1.1}\n`).client.protocol).toBe('http/1.1');
  });

  it('lists every problem at once, each with its key and list position', () => {
    const message = problems(`protocol: h3
client: {protocol: h2c, retries: 3}
h2: {maxConcurrentStreams: 0, initialWindowSize: 2147483647, maxHeaderListSize: 10}
retryBufferSize: {requestBytes: -1, responseBytes: lots}
responseClassifier: {kind: io.l5d.h2.grpc.retryableStatusCodes, retryableStatusCodes: [4, 17, -1, "x", 2.5]}
`);
    for (const expected of [
      'protocol: must be one of auto, h2, got "h3"',
      'client.protocol: must be one of inbound, http/1.1, h2, got "h2c"',
      'client.retries: unknown key',
      'h2.maxConcurrentStreams: must be an integer from 1 to 10000, got 0',
      'h2.initialWindowSize: must be an integer from 1 to 16777215, got 2147483647',
      'h2.maxHeaderListSize: must be an integer from 1024 to 1048576, got 10',
      'retryBufferSize.requestBytes: must be an integer from 0 to 10485760, got -1',
      'retryBufferSize.responseBytes: must be an integer from 0 to 10485760, got "lots"',
      'responseClassifier.retryableStatusCodes[1]: must be an integer from 0 to 16, got 17',
      'responseClassifier.retryableStatusCodes[2]: must be an integer from 0 to 16, got -1',
      'responseClassifier.retryableStatusCodes[3]: must be an integer from 0 to 16, got "x"',
      'responseClassifier.retryableStatusCodes[4]: must be an integer from 0 to 16, got 2.5',
    ])
      expect(message).toContain(expected);
    expect(message).not.toContain('retryableStatusCodes[0]');
  });

  it.each([
    [
      'an unknown kind',
      'responseClassifier: io.l5d.h2.grpc.bogus',
      /responseClassifier: must be one of .*io\.l5d\.h2\.grpc\.default/,
    ],
    ['an unknown mapped kind', 'responseClassifier: {kind: nope}', /responseClassifier\.kind: must be one of/],
    ['a mapping without kind', 'responseClassifier: {}', /responseClassifier\.kind: must be one of .*got undefined/],
    ['a number', 'responseClassifier: 5', /responseClassifier: must be a classifier kind or a mapping/],
    [
      'codes without their kind',
      'responseClassifier: {kind: io.l5d.h2.grpc.default, retryableStatusCodes: [14]}',
      /retryableStatusCodes: is read only by io\.l5d\.h2\.grpc\.retryableStatusCodes/,
    ],
    [
      'the kind without codes',
      'responseClassifier: {kind: io.l5d.h2.grpc.retryableStatusCodes}',
      /retryableStatusCodes: .* needs the list of gRPC codes/,
    ],
    [
      'codes that are not a list',
      'responseClassifier: {kind: io.l5d.h2.grpc.retryableStatusCodes, retryableStatusCodes: 14}',
      /must be a list of gRPC status codes/,
    ],
    [
      'a list longer than the codes',
      `responseClassifier: {kind: io.l5d.h2.grpc.retryableStatusCodes, retryableStatusCodes: [${Array(18).fill(1)}]}`,
      /lists 18 codes/,
    ],
    [
      'an unknown classifier key',
      'responseClassifier: {kind: io.l5d.h2.grpc.default, retryable: true}',
      /responseClassifier\.retryable: unknown key/,
    ],
  ])('refuses %s', (_what, yaml, message) => {
    expect(problems(`${yaml}\n`)).toMatch(message);
  });

  it('the CLI exits 64 and names the bad keys before binding anything', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sy-h2-config-'));
    const file = path.join(dir, 'router.yaml');
    writeFileSync(
      file,
      `${DTAB}listen: 127.0.0.1:0\nadmin: 127.0.0.1:0\nprotocol: h3\nh2: {maxConcurrentStreams: 0}\n`,
    );
    const run = await runMain(routerCommand, ['--config', file]);
    expect(run.code).toBe(64);
    expect(run.stderr).toContain('protocol: must be one of auto, h2');
    expect(run.stderr).toContain('h2.maxConcurrentStreams');
  });

  it('the JSON Schema and the validator agree on responseClassifier (property)', () => {
    const kinds = [
      'io.l5d.http.retryableRead5XX',
      'io.l5d.h2.grpc.default',
      'io.l5d.h2.grpc.retryableStatusCodes',
      'bogus',
    ];
    const codes = fc.array(fc.oneof(fc.integer({ min: -2, max: 18 }), fc.constant('x')), { maxLength: 19 });
    fc.assert(
      fc.property(fc.constantFrom(...kinds), fc.option(codes, { nil: undefined }), fc.boolean(), (kind, list, bare) => {
        const rc =
          bare && list === undefined ? kind : { kind, ...(list === undefined ? {} : { retryableStatusCodes: list }) };
        const config = { dtab: '/svc => /$/inet/127.0.0.1/1', responseClassifier: rc };
        let ok = true;
        try {
          routerConfig(JSON.stringify(config));
        } catch {
          ok = false;
        }
        // The validator also wants the codes kind and its list together, which the schema cannot say
        // without conditionals: it is only ever stricter there.
        if (schema(config) && !ok)
          expect(kind === 'io.l5d.h2.grpc.retryableStatusCodes' || list !== undefined).toBe(true);
        else expect(schema(config)).toBe(ok);
      }),
      { numRuns: 300 },
    );
  });
});
