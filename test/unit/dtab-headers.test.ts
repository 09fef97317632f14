/**
 * Request-local dtab headers (docs/dtab-language.md#request-local-dtabs): the `headers` vectors,
 * linkerd's l5d-* rules (no comma splitting, ctx before user, forwarded as l5d-ctx-dtab) and the 8
 * KiB limit.
 */
import { describe, expect, it } from 'vitest';
import {
  ctxDtabHeader,
  DTAB_HEADERS_LIMIT,
  Dtab,
  DtabSyntaxError,
  dtabLocalHeader,
  effectiveDtab,
  readFinagleDtabHeaders,
  readL5dDtabHeaders,
  SwitchyardError,
} from '../../src/index.js';
import { loadVectors } from '../helpers/vector-file.js';

const vectors = loadVectors();

describe('headers vectors', () => {
  for (const c of vectors.headers!) {
    it(`${c.protocol}: ${JSON.stringify(c.headers ?? c.local)}`, () => {
      const pairs = (c.headers ?? []) as [string, string][];
      if (String(c.protocol).startsWith('linkerd-http client')) {
        expect(ctxDtabHeader(Dtab.read(c.local))).toBe(c.written_headers[0][1]);
        return;
      }
      const read = () =>
        String(c.protocol).startsWith('finagle') ? readFinagleDtabHeaders(pairs) : readL5dDtabHeaders(pairs);
      if (c.error !== undefined) {
        expect(read).toThrow(SwitchyardError);
        try {
          read();
        } catch (e) {
          expect((e as SwitchyardError).code).toBe('SY_ERR_INVALID_DTAB_HEADERS');
          expect((e as SwitchyardError).status).toBe(400);
          expect((e as Error).message).toMatch(/^Invalid Dtab headers: /);
          // Finagle's own wording where switchyard keeps it; syntax errors are switchyard's
          // (docs/dtab-language.md#error-messages).
          if (!String(c.error).includes('expected but')) expect((e as Error).message).toContain(c.error);
          else expect((e as Error).cause).toBeInstanceOf(DtabSyntaxError);
        }
        return;
      }
      const prior = c.prior_local !== undefined ? Dtab.read(c.prior_local) : Dtab.empty;
      expect(prior.concat(read()).show()).toBe(c.result);
    });
  }
});

describe('l5d-ctx-dtab and l5d-dtab', () => {
  it('does not split values on commas: a comma inside l5d-dtab is a syntax error', () => {
    expect(() => readL5dDtabHeaders([['l5d-dtab', '/a=>/b,/c=>/d']])).toThrow(
      /Invalid Dtab headers: .*line 1, column 7/,
    );
  });

  it('reads every value of each header, ctx first and the caller last, names in any case', () => {
    const local = readL5dDtabHeaders([
      ['L5d-Dtab', '/a=>/user1'],
      ['l5d-ctx-dtab', '/a=>/ctx1'],
      ['l5d-dtab', '/a=>/user2;/b=>/c'],
      ['L5D-CTX-DTAB', '/a=>/ctx2'],
      ['dtab-local', '/ignored=>/by-linkerd'],
    ]);
    expect(local.show()).toBe('/a=>/ctx1;/a=>/ctx2;/a=>/user1;/a=>/user2;/b=>/c');
  });

  it('routes with base ++ local, so the caller wins, and forwards the local part as l5d-ctx-dtab', () => {
    const base = Dtab.read('/svc=>/srv;/srv/gen=>/srv/gen-v1');
    const local = readL5dDtabHeaders([['l5d-dtab', '/srv/gen=>/srv/gen-v2']]);
    const dtab = effectiveDtab(base, local);
    expect(dtab.show()).toBe('/svc=>/srv;/srv/gen=>/srv/gen-v1;/srv/gen=>/srv/gen-v2');
    expect(ctxDtabHeader(local)).toBe('/srv/gen=>/srv/gen-v2');
    expect(ctxDtabHeader(Dtab.empty)).toBeUndefined();
  });

  it('refuses dtab headers over 8 KiB with a clear error and status 431', () => {
    const big = `/a=>/${'x'.repeat(DTAB_HEADERS_LIMIT)}`;
    try {
      readL5dDtabHeaders([['l5d-dtab', big]]);
      expect.unreachable();
    } catch (e) {
      expect((e as SwitchyardError).code).toBe('SY_ERR_DTAB_HEADER_TOO_LARGE');
      expect((e as SwitchyardError).status).toBe(431);
      expect((e as Error).message).toContain(`exceed the limit of ${DTAB_HEADERS_LIMIT} bytes`);
    }
    // The limit is on the sum of the values, counted in UTF-8 bytes.
    const half = `/a=>/${'y'.repeat(DTAB_HEADERS_LIMIT / 2)}`;
    expect(() =>
      readL5dDtabHeaders([
        ['l5d-ctx-dtab', half],
        ['l5d-dtab', half],
      ]),
    ).toThrow(/exceed the limit/);
    expect(readL5dDtabHeaders([['l5d-dtab', `/a=>/${'z'.repeat(100)}`]]).size).toBe(1);
  });

  it('refuses to forward a local dtab larger than the header limit', () => {
    const local = Dtab.read(`/a=>/${'x'.repeat(DTAB_HEADERS_LIMIT)}`);
    expect(() => ctxDtabHeader(local)).toThrow(/cannot be sent in a header/);
  });
});

describe('Finagle Dtab-Local', () => {
  it('splits Dtab-Local on commas and reads empty pieces as empty dtabs', () => {
    expect(readFinagleDtabHeaders([['Dtab-Local', '/a=>/b,,/c=>/d']]).show()).toBe('/a=>/b;/c=>/d');
  });

  it('will not write a Dtab-Local of 100 dentries or more', () => {
    const dtab = (n: number) => new Dtab(Array.from({ length: n }, (_, i) => Dtab.read(`/a${i}=>/b`).dentries[0]!));
    expect(dtabLocalHeader(dtab(99))).toContain('/a98=>/b');
    expect(() => dtabLocalHeader(dtab(100))).toThrow(/cannot be sent in a header/);
  });
});
