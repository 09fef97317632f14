/**
 * gRPC and h2 targets as JSON: goto's protocol spellings, the service/method/body fields checked
 * and the request encoded with the proto when the target is added, every problem named by its
 * field and nothing half-added; uploaded protos bounded and refused whole when broken; any JSON
 * at all for the new fields yields a target or SY_ERR_INVALID_TARGET, never anything else.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SwitchyardError } from '../../src/errors.js';
import { GrpcProtos, MAX_PROTO_BYTES, MAX_PROTOS } from '../../src/traffic/grpc-protos.js';
import { parseTarget } from '../../src/traffic/target-spec.js';
import { TrafficClient } from '../../src/traffic/traffic-client.js';

const protos = new GrpcProtos();
const gen = (extra: Record<string, unknown> = {}) => ({
  name: 'g',
  url: 'http://127.0.0.1:4140',
  protocol: 'grpc',
  service: 'proto.GenSvc',
  method: 'Gen',
  body: '{"text":"gob","limit":1}',
  ...extra,
});

/** The message of the SY_ERR_INVALID_TARGET that `raw` is refused with. */
function refusal(raw: unknown, with_ = protos): string {
  try {
    parseTarget(raw, undefined, with_);
  } catch (e) {
    expect(e).toBeInstanceOf(SwitchyardError);
    expect((e as SwitchyardError).code).toBe('SY_ERR_INVALID_TARGET');
    return (e as SwitchyardError).message;
  }
  throw new Error('accepted');
}

describe('protocol', () => {
  it.each([
    [undefined, 'http/1.1'],
    ['HTTP/1.1', 'http/1.1'],
    ['HTTP/2.0', 'h2'],
    ['H2', 'h2'],
    ['h2c', 'h2'],
    ['grpc', 'grpc'],
    ['GRPC', 'grpc'],
  ])('%s is %s', (protocol, expected) => {
    const raw = expected === 'grpc' ? gen({ protocol }) : { name: 'h', url: 'http://127.0.0.1:1/', protocol };
    expect(parseTarget(raw, undefined, protos).spec.protocol).toBe(expected);
  });

  it('refuses TLS spellings and unknown ones, naming the field', () => {
    expect(refusal(gen({ protocol: 'grpcs' }))).toMatch(/protocol: "grpcs": TLS is not supported/);
    expect(refusal(gen({ protocol: '__proto__' }))).toMatch(/protocol: must be one of/);
    expect(refusal(gen({ url: 'https://127.0.0.1:1' }))).toMatch(/url: grpc targets speak cleartext h2/);
  });

  it("accepts goto's dns: URLs for grpc", () => {
    expect(parseTarget(gen({ url: 'dns:127.0.0.1:9000' }), undefined, protos).spec.url).toBe('http://127.0.0.1:9000/');
  });

  it('refuses connection headers on h2 and grpc', () => {
    expect(refusal(gen({ headers: { connection: 'close', te: 'gzip' } }))).toMatch(
      /headers\.connection: .*headers\.te: /,
    );
  });
});

describe('grpc fields', () => {
  it('keeps the RPC name as written and encodes the body into one gRPC frame', () => {
    const t = parseTarget(gen(), undefined, protos);
    expect(t.spec).toMatchObject({ protocol: 'grpc', service: 'proto.GenSvc', method: 'Gen' });
    expect(t.grpc?.path).toBe('/proto.GenSvc/Gen');
    expect(t.grpc?.frame).toEqual(Buffer.from([0, 0, 0, 0, 7, 0x0a, 3, 0x67, 0x6f, 0x62, 0x10, 1]));
  });

  it("parsing a grpc target's spec again yields the same spec (the registry passes specs on)", () => {
    const spec = parseTarget(gen({ url: 'dns:///127.0.0.1:9000', retriableStatusCodes: [14] }), undefined, protos).spec;
    expect(parseTarget(JSON.parse(JSON.stringify(spec)), undefined, protos).spec).toEqual(spec);
    const raw = parseTarget(gen({ body: undefined, bodyBase64: 'AQID' }), undefined, protos).spec;
    expect(parseTarget(JSON.parse(JSON.stringify(raw)), undefined, protos).spec).toEqual(raw);
  });

  it('names the field for every body problem', () => {
    expect(refusal(gen({ body: '{"text":1}' }))).toMatch(/body: text: string expected/);
    expect(refusal(gen({ body: '{"limt":1}' }))).toMatch(/body: proto.GenRequest has no field "limt"/);
    expect(refusal(gen({ body: '{not json' }))).toMatch(/body: must be the request message as JSON/);
    expect(refusal(gen({ body: '[1]' }))).toMatch(/body: must be a JSON object/);
    expect(refusal(gen({ body: JSON.stringify({ text: 'x'.repeat(70_000) }) }))).toMatch(/body: is \d+ bytes, above/);
  });

  it('names the service or the method that no proto defines', () => {
    expect(refusal(gen({ method: 'Nope' }))).toMatch(/method: proto.GenSvc has no method "Nope" \(it has: Gen\)/);
    expect(refusal(gen({ service: 'no.Such' }))).toMatch(/service: no known proto defines the service "no.Such"/);
    expect(refusal(gen({ service: 'a..b', method: '1x' }))).toMatch(/service: is required .*method: is required/);
  });

  it('bodyBase64 needs no proto and is sent as one frame; bad base64 or both bodies are refused', () => {
    const t = parseTarget(gen({ service: 'no.Such', body: undefined, bodyBase64: 'AQID' }), undefined, protos);
    expect(t.grpc).toMatchObject({ path: '/no.Such/Gen', frame: Buffer.from([0, 0, 0, 0, 3, 1, 2, 3]) });
    expect(refusal(gen({ bodyBase64: 'AQID' }))).toMatch(/bodyBase64: cannot be combined with body/);
    expect(refusal(gen({ body: undefined, bodyBase64: 'not base64!' }))).toMatch(/bodyBase64: must be standard base64/);
  });

  it('retriableStatusCodes are grpc-status codes for grpc targets', () => {
    expect(parseTarget(gen({ retriableStatusCodes: [14, 4] }), undefined, protos).spec.retriableStatusCodes).toEqual([
      14, 4,
    ]);
    expect(refusal(gen({ retriableStatusCodes: [503] }))).toMatch(/grpc-status codes \(0-16\)/);
  });

  it('without protos (the registry passing a target on) only the shape is checked', () => {
    const t = parseTarget(gen({ service: 'up.Other', body: '{"anything":1}' }));
    expect(t.grpc).toMatchObject({ path: '/up.Other/Gen', frame: null });
    expect(() => parseTarget(gen({ body: '{' }))).toThrow(/body: must be the request message as JSON/);
  });

  it('a refused target leaves the client as it was', () => {
    const client = new TrafficClient();
    expect(() => client.addTarget(gen({ body: '{"text":1}' }))).toThrow(/body:/);
    expect(client.targets()).toEqual({});
  });

  it('any JSON in the new fields: a target, or SY_ERR_INVALID_TARGET naming fields', () => {
    const value = fc.oneof(
      fc.jsonValue({ maxDepth: 2 }),
      fc.constantFrom('grpc', 'H2', 'proto.GenSvc', 'Gen', 'AQID', '{"text":"a","limit":2}', '{"limit":-1}'),
    );
    fc.assert(
      fc.property(
        fc.record(
          {
            protocol: value,
            service: value,
            method: value,
            body: value,
            bodyBase64: value,
            retriableStatusCodes: value,
          },
          { requiredKeys: [] },
        ),
        (fields) => {
          const raw = { name: 'p', url: 'http://127.0.0.1:1/', ...fields };
          try {
            const t = parseTarget(raw, undefined, protos);
            if (t.spec.protocol === 'grpc') expect(t.grpc?.frame?.[0]).toBe(0);
          } catch (e) {
            expect(e).toBeInstanceOf(SwitchyardError);
            expect((e as SwitchyardError).code).toBe('SY_ERR_INVALID_TARGET');
            expect((e as SwitchyardError).message).toMatch(
              /(protocol|service|method|body|bodyBase64|retriableStatusCodes|url|headers\.[a-z-]+): /,
            );
          }
        },
      ),
      { numRuns: 400 },
    );
  });
});

describe('uploaded protos', () => {
  const echo =
    'syntax = "proto3"; package up; service Echo { rpc Say(Req) returns (Rep); } message Req { string text = 1; } message Rep {}';

  it('an uploaded service is found by its full name and encoded', () => {
    const p = new GrpcProtos();
    expect(p.add('echo', echo)).toEqual({ name: 'echo', methods: ['up.Echo/Say'] });
    const t = parseTarget(gen({ service: 'up.Echo', method: 'Say', body: '{"text":"a"}' }), undefined, p);
    expect(t.grpc?.path).toBe('/up.Echo/Say');
    expect(p.list().map((s) => s.name)).toEqual(['gob', 'echo']);
  });

  it('well-known google/protobuf imports resolve; anything else is refused whole', () => {
    const p = new GrpcProtos();
    const wkt =
      'syntax = "proto3"; import "google/protobuf/empty.proto"; service W { rpc Ping(google.protobuf.Empty) returns (google.protobuf.Empty); }';
    expect(p.add('wkt', wkt).methods).toEqual(['W/Ping']);
    expect(() => p.add('x', 'syntax = "proto3"; import "/etc/passwd"; service S {}')).toThrow(
      /proto: x: import "\/etc\/passwd" is not available/,
    );
    expect(() => p.add('y', 'syntax = "proto3"; service S { rpc A(Nope) returns (Nope); }')).toThrow(
      /proto: y: .*Nope/,
    );
    expect(() => p.add('z', 'message {')).toThrow(/proto: z: .*line 1/);
    expect(() => p.add('n', 'syntax = "proto3"; message M {}')).toThrow(/defines no service/);
    expect(p.list().map((s) => s.name)).toEqual(['gob', 'wkt']);
  });

  it('is bounded in size, in number and in names', () => {
    const p = new GrpcProtos();
    expect(() => p.add('big', `${echo}\n//${'x'.repeat(MAX_PROTO_BYTES)}`)).toThrow(/above the limit of 65536/);
    expect(() => p.add('gob', echo)).toThrow(/name must be/);
    expect(() => p.add('../etc', echo)).toThrow(/name must be/);
    for (let i = 0; i < MAX_PROTOS; i++) p.add(`p${i}`, echo);
    expect(() => p.add('one-more', echo)).toThrow(/already holds 16 protos/);
    expect(p.add('p0', echo).name).toBe('p0');
  });

  it('options and packages naming __proto__ set nothing on Object.prototype', () => {
    const p = new GrpcProtos();
    const service = 'service S { rpc A(M) returns (M); }';
    p.add(
      'o',
      `syntax = "proto3"; option (__proto__).polluted = "yes"; ${service} message M { string s = 1 [(constructor.prototype).polluted = "x"]; }`,
    );
    // protobufjs cannot hold a namespace called __proto__: the service is not found, so it is refused.
    expect(() => p.add('q', `syntax = "proto3"; package __proto__; ${service} message M {}`)).toThrow(
      /defines no service/,
    );
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('deeply nested definitions are refused, not a crash', () => {
    const p = new GrpcProtos();
    const deep = `${'message M { '.repeat(5000)}${'} '.repeat(5000)}`;
    expect(() => p.add('deep', deep)).toThrow(/proto: deep: /);
  });
});
