/**
 * NameTree printing, simplification and evaluation (docs/dtab-language.md#name-trees), as tables in the
 * style of Finagle's NameTreeTest.
 */
import { describe, expect, it } from 'vitest';
import { NameTree, Path } from '../../src/index.js';
import { toAst } from '../helpers/ast.js';

const { alt, union, weighted, leaf, Neg, Fail, Empty } = NameTree;
const a = leaf(Path.read('/a'));
const b = leaf(Path.read('/b'));
const c = leaf(Path.read('/c'));

const show = (text: string) => NameTree.show(NameTree.read(text));
const simplified = (text: string) => NameTree.show(NameTree.simplify(NameTree.read(text)));
const evaluated = (text: string) => NameTree.evaluate(NameTree.read(text))?.map((p) => p.show()) ?? null;

describe('NameTree.show: spacing and parentheses', () => {
  it.each([
    ['/a|/b', '/a | /b'],
    ['/a&/b', '/a & /b'],
    ['/a & /b | /c', '/a & /b | /c'],
    ['(/a & /b) | /c', '/a & /b | /c'],
    ['/a | (/b | /c)', '/a | (/b | /c)'],
    ['(/a | /b) | /c', '(/a | /b) | /c'],
    ['/a & (/b & /c)', '/a & (/b & /c)'],
    ['/a & (/b | /c)', '/a & (/b | /c)'],
    ['2*(/a | /b) & /c', '2*(/a | /b) & /c'],
    ['((/a))', '/a'],
    ['(!) | (~) & ($)', '! | ~ & $'],
    ['1 * /foo & 2 * /bar | .5 * /bar & .5 * /baz', '/foo & 2*/bar | 0.5*/bar & 0.5*/baz'],
  ])('%s shows as %s', (input, expected) => {
    expect(show(input)).toBe(expected);
  });

  it('does not flatten nested alts or unions, in the parser or the printer', () => {
    expect(toAst(NameTree.read('/a | (/b | /c)'))).toEqual({
      type: 'alt',
      trees: [
        { type: 'leaf', path: '/a' },
        {
          type: 'alt',
          trees: [
            { type: 'leaf', path: '/b' },
            { type: 'leaf', path: '/c' },
          ],
        },
      ],
    });
    expect(NameTree.equals(alt(a, alt(b, c)), alt(a, b, c))).toBe(false);
    expect(NameTree.equals(NameTree.read('/a | /b | /c'), alt(a, b, c))).toBe(true);
  });

  it('prints single-child alts and unions as the child, dropping the weight', () => {
    expect(NameTree.show(alt(a))).toBe('/a');
    expect(NameTree.show(union(weighted(3, a)))).toBe('/a');
    expect(NameTree.show(union(weighted(3, alt(a, b))))).toBe('/a | /b');
    expect(NameTree.show(alt(union(weighted(3, alt(a, b))), c))).toBe('(/a | /b) | /c');
    expect(NameTree.show(union(weighted(2, alt(a)), weighted(1, union(weighted(5, b)))))).toBe('2*/a & /b');
    expect(NameTree.show(alt(a, alt(b)))).toBe('/a | /b');
  });

  it('prints an empty alt or union as nothing, or () inside a union', () => {
    expect(NameTree.show(alt<Path>())).toBe('');
    expect(NameTree.show(union<Path>())).toBe('');
    expect(NameTree.show(union(weighted(1, a), weighted(2, alt())))).toBe('/a & 2*()');
    expect(NameTree.show(alt(a, alt()))).toBe('/a | ()');
  });

  it('prints leaves with Path.show, escapes included', () => {
    expect(NameTree.show(leaf(new Path(['a b', 'c'])))).toBe('/\\x61\\x20\\x62/c');
  });
});

describe('NameTree.show: lossless weights', () => {
  it.each([
    ['1 * /foo & 2 * /bar | .5 * /bar & .5 * /baz', '/foo & 2*/bar | 0.5*/bar & 0.5*/baz'],
    ['2*(/a | /b) & /c', '2*(/a | /b) & /c'],
    ['0.001*/a & /b', '0.001*/a & /b'],
    ['1.005*/a & /b', '1.005*/a & /b'],
    ['2.675*/a & /b', '2.675*/a & /b'],
    ['1234.567*/a & /b', '1234.567*/a & /b'],
    ['0.30000000000000004*/a & /b', '0.30000000000000004*/a & /b'],
    ['1.0*/a & 0*/b', '/a & 0*/b'],
    ['1.*/a & 00.*/b & 10*/x', '/a & 0*/b & 10*/x'],
    ['007 * /a & 0.50 * /b', '7*/a & 0.5*/b'],
    ['0.5 * /a', '/a'],
    ['0.5*/a | /b', '/a | /b'],
  ])('%s shows as %s', (input, expected) => {
    expect(show(input)).toBe(expected);
  });

  it.each([
    [1e-7, '0.0000001'],
    [1.5e-7, '0.00000015'],
    [1e21, '1000000000000000000000'],
    [1.25e22, '12500000000000000000000'],
    [0.1 + 0.2, '0.30000000000000004'],
    [1 + 2 ** -52, '1.0000000000000002'],
    [2, '2'],
    [0, '0'],
    [123456789.125, '123456789.125'],
  ])('weight %d prints as %s and reads back exactly', (w, printed) => {
    const tree = union(weighted(w, a), weighted(1, b));
    const text = NameTree.show(tree);
    expect(text).toBe(`${printed}*/a & /b`);
    expect(NameTree.equals(NameTree.read(text), tree)).toBe(true);
  });

  it('never prints an exponent, even at the ends of the double range', () => {
    for (const w of [Number.MIN_VALUE, 2.2250738585072014e-308, Number.MAX_VALUE, 2 ** 53 + 2]) {
      const text = NameTree.show(union(weighted(w, a), weighted(1, b)));
      expect(text).toMatch(/^\d+(\.\d+)?\*\/a & \/b$/);
      const back = NameTree.read(text);
      expect(back.type === 'union' && back.trees[0]!.weight).toBe(w);
    }
  });

  it('omits a weight of exactly 1 and keeps one a hair away from it', () => {
    expect(NameTree.show(union(weighted(1, a), weighted(1.0, b)))).toBe('/a & /b');
    expect(NameTree.show(union(weighted(1 - 2 ** -53, a), weighted(1, b)))).toBe('0.9999999999999999*/a & /b');
  });

  it('drops a lone weight but keeps weights inside a union of two or more', () => {
    expect(NameTree.read('0.5 * /a')).toEqual(a);
    expect(toAst(NameTree.read('(2*/a) & 3*/b'))).toEqual({
      type: 'union',
      trees: [
        { weight: 1, tree: { type: 'leaf', path: '/a' } },
        { weight: 3, tree: { type: 'leaf', path: '/b' } },
      ],
    });
  });
});

describe('NameTree.simplify', () => {
  it.each([
    ['~ | /ok | !', '/ok | !'],
    ['/a | ! | /b', '/a | !'],
    ['! | /a', '!'],
    ['~ | (~ | $) | /blah', '$ | /blah'],
    ['~ | ~', '~'],
    ['(/a | /b) | /c', '(/a | /b) | /c'],
    ['(~ | /a) | (/b | ~)', '/a | /b'],
    ['! & ! & !', '~'],
    ['~ & ! & /a', '/a'],
    ['2*/a & ~', '/a'],
    ['2*/a & 3*/b & !', '2*/a & 3*/b'],
    ['/a & $ & !', '/a & $'],
    ['$ & ~', '$'],
    ['0.5*(~ | /a) & 2*(/b | ! | /c)', '0.5*/a & 2*(/b | !)'],
    ['0.5*(~ | /a) & 2*(! | /b)', '/a'],
    ['/a', '/a'],
    ['$', '$'],
    ['!', '!'],
    ['~', '~'],
  ])('%s simplifies to %s', (input, expected) => {
    expect(simplified(input)).toBe(expected);
  });

  it('handles trees the parser cannot produce', () => {
    expect(NameTree.simplify(alt())).toBe(Neg);
    expect(NameTree.simplify(union())).toBe(Neg);
    expect(NameTree.simplify(alt(alt(Neg, b)))).toEqual(b);
    expect(NameTree.simplify(union(weighted(3, union(weighted(1, Neg), weighted(2, c)))))).toEqual(c);
  });

  it('is a fixpoint and keeps what a tree evaluates to', () => {
    for (const input of ['~ | (~ | $) | /blah', '(~|$|/foo) & (/bar|/blah) & ~ & /FOO', '(! & ~) | (/a | !) & $']) {
      const once = NameTree.simplify(NameTree.read(input));
      expect(NameTree.equals(NameTree.simplify(once), once)).toBe(true);
      expect(NameTree.evaluate(once)).toEqual(NameTree.evaluate(NameTree.read(input)));
    }
  });
});

describe('NameTree.evaluate', () => {
  it.each([
    ['~', null],
    ['!', null],
    ['$', []],
    ['/ok', ['/ok']],
    ['~ | $ | /blah', []],
    ['! | /ok', null],
    ['~ | /ok | !', ['/ok']],
    ['/ok & !', ['/ok']],
    ['/ok & ~ & $', ['/ok']],
    ['! & ~', null],
    ['$ & !', []],
    ['(~ | !) | /a', null],
    ['(~ | ~) | /a', ['/a']],
    ['/a & (/b | /c) & /a', ['/a', '/b']],
    ['2*/a & 0*/b', ['/a', '/b']],
  ])('%s evaluates to %j', (input, expected) => {
    expect(evaluated(input)).toEqual(expected);
  });

  it('gives a set: the union of (~|$|/foo) & (/bar|/blah) & ~ & /FOO is {/bar, /FOO}', () => {
    expect(evaluated('(~|$|/foo) & (/bar|/blah) & ~ & /FOO')?.sort()).toEqual(['/FOO', '/bar']);
  });

  it('treats empty alts and unions as Neg', () => {
    expect(NameTree.evaluate(alt())).toBeNull();
    expect(NameTree.evaluate(alt(alt(), a))).toEqual([a.value]);
    expect(NameTree.evaluate(union(weighted(1, union()), weighted(1, Empty)))).toEqual([]);
    expect(NameTree.evaluate(alt(Fail, a))).toBeNull();
  });
});
