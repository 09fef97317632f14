/**
 * Properties of the parser and printer (docs/architecture.md#parsing-and-printing):
 * `parse(show(t))` is `t` for every tree the parser can produce (switchyard prints weights
 * losslessly, docs/dtab-language.md#lossless-weights); no input makes a reader throw anything but a
 * DtabSyntaxError with a sane position; parsing is linear; and the grammar is unambiguous.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Dentry, Dtab, DtabSyntaxError, NameTree, Path, Prefix } from '../../src/index.js';
import { dtab, path, prefix, spellDtab, spellTree, tree } from '../helpers/dtab-arbitraries.js';
import { checkPosition } from '../helpers/syntax-error.js';

// Seeded so a run is reproducible; FC_SEED explores other corners locally.
const seed = Number(process.env['FC_SEED'] ?? 1234);
const run = (numRuns: number) => ({ seed, numRuns });

const readers: [string, (text: string) => unknown][] = [
  ['Path.read', Path.read],
  ['Prefix.read', Prefix.read],
  ['NameTree.read', NameTree.read],
  ['Dentry.read', Dentry.read],
  ['Dtab.read', Dtab.read],
];

describe('parse(show(x)) == x', () => {
  it('holds for paths, bytes that need escapes included', () => {
    fc.assert(
      fc.property(path, (p) => {
        expect(Path.read(p.show()).equals(p)).toBe(true);
      }),
      run(500),
    );
  });

  it('holds for prefixes', () => {
    fc.assert(
      fc.property(prefix, (p) => {
        expect(Prefix.read(p.show()).equals(p)).toBe(true);
      }),
      run(500),
    );
  });

  it('holds for name trees with any finite weights', () => {
    fc.assert(
      fc.property(tree, (t) => {
        const shown = NameTree.show(t);
        const back = NameTree.read(shown);
        expect(NameTree.equals(back, t), `${shown} read back as ${NameTree.show(back)}`).toBe(true);
        // Exponent forms would not have read back: the number rule has no exponent.
        expect(NameTree.show(back)).toBe(shown);
      }),
      run(1000),
    );
  });

  it('holds for dtabs', () => {
    fc.assert(
      fc.property(dtab, (d) => {
        const back = Dtab.read(d.show());
        expect(back.equals(d), d.show()).toBe(true);
        expect(back.show()).toBe(d.show());
      }),
      run(500),
    );
  });

  it('keeps what simplify does: simplified trees round-trip and stay fixpoints', () => {
    fc.assert(
      fc.property(tree, (t) => {
        const s = NameTree.simplify(t);
        expect(NameTree.equals(NameTree.simplify(s), s)).toBe(true);
        expect(NameTree.evaluate(s)).toEqual(NameTree.evaluate(t));
        if (s.type === 'neg') expect(s).toBe(NameTree.Neg);
      }),
      run(500),
    );
  });
});

describe('the grammar is unambiguous', () => {
  // parse() throws `Error('ambiguous dtab grammar ...')` when nearley returns more than one
  // parse, so reading thousands of valid inputs without any exception is the ambiguity check.
  // The inputs are spelled noisily (gaps, comments, parentheses, escapes, weight spellings) to
  // reach as many grammar paths as possible, and each must still read back to its value.
  it('reads every noisy spelling of a random tree to exactly that tree', () => {
    fc.assert(
      fc.property(tree, fc.gen(), (t, g) => {
        const text = spellTree(g, t);
        let back: NameTree<Path> | undefined;
        expect(() => {
          back = NameTree.read(text);
        }, JSON.stringify(text)).not.toThrow();
        expect(NameTree.equals(back!, t), `${JSON.stringify(text)} is not ${NameTree.show(t)}`).toBe(true);
      }),
      run(2000),
    );
  });

  it('reads every noisy spelling of a random dtab to exactly that dtab', () => {
    fc.assert(
      fc.property(dtab, fc.gen(), (d, g) => {
        const text = spellDtab(g, d);
        let back: Dtab | undefined;
        expect(() => {
          back = Dtab.read(text);
        }, JSON.stringify(text)).not.toThrow();
        expect(back!.equals(d), `${JSON.stringify(text)} is not ${d.show()}`).toBe(true);
      }),
      run(1500),
    );
  });
});

describe('readers throw only DtabSyntaxError', () => {
  const dtabish = fc.string({
    unit: fc.constantFrom(...'/ab*&|()!~$;=>#.\\x0123456789 \n'.split('')),
    maxLength: 40,
  });
  const utf16 = fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)) });

  it.each([
    ['ASCII strings', fc.string(), 300],
    ['full Unicode strings', fc.string({ unit: 'binary' }), 300],
    ['UTF-16 strings with lone surrogates', utf16, 200],
    ['strings of dtab characters', dtabish, 3000],
  ] as const)('for %s', (_, strings, numRuns) => {
    fc.assert(
      fc.property(strings, (input) => {
        for (const [name, read] of readers) {
          try {
            read(input);
          } catch (e) {
            if (!(e instanceof DtabSyntaxError)) throw new Error(`${name}(${JSON.stringify(input)}) threw ${e}`);
            checkPosition(e, input);
          }
        }
      }),
      run(numRuns),
    );
  });
});

describe('parsing time is linear in the number of dentries', () => {
  const dtabOf = (n: number) =>
    Array.from({ length: n }, (_, i) => `/svc/s${i}/*/x => 2*/srv/a${i} & /srv/b\\x2d${i} | ~ # c${i}`).join('\n; ');

  function medianMsPerDentry(text: string, n: number, runs: number): number {
    const times: number[] = [];
    for (let r = 0; r < runs; r++) {
      const t0 = performance.now();
      const d = Dtab.read(text);
      times.push(performance.now() - t0);
      expect(d.size).toBe(n);
    }
    times.sort((a, b) => a - b);
    return times[Math.floor(runs / 2)]! / n;
  }

  it('costs about the same per dentry at 250 and at 2000 dentries', () => {
    const sizes = [250, 500, 1000, 2000];
    const texts = sizes.map(dtabOf);
    Dtab.read(texts[0]!); // warm up the JIT and the grammar
    const perDentry = sizes.map((n, i) => medianMsPerDentry(texts[i]!, n, 5));
    const ratio = perDentry[perDentry.length - 1]! / perDentry[0]!;
    expect(ratio, `ms per dentry: ${perDentry.map((t) => t.toFixed(4)).join(', ')}`).toBeLessThan(3);
  });
});
