/**
 * One rewrite step, `Dtab.lookup` (docs/dtab-language.md#lookup-one-rewrite-step), and the dtab
 * algebra (docs/dtab-language.md#dtab-algebra): concatenation, stripPrefix, simplified and the
 * constants.
 */
import { describe, expect, it } from 'vitest';
import { Dentry, Dtab, NameTree, Path } from '../../src/index.js';

const lookup = (dtab: string, path: string) => NameTree.show(Dtab.read(dtab).lookup(Path.read(path)));

describe('Dtab.lookup', () => {
  it.each([
    // Later entries win; every match is kept, last first, whatever the prefix length.
    ['/a=>/b;/a/b=>/c', '/a/b/d', '/c/d | /b/b/d'],
    ['/a/b=>/c;/a=>/b', '/a/b/d', '/b/b/d | /c/d'],
    ['/a=>/x;/a=>/y;/a=>/z', '/a', '/z | /y | /x'],
    // The residual goes onto every leaf; constants stay constants.
    ['/a=>1*/b & 2*/c', '/a/x', '/b/x & 2*/c/x'],
    ['/a=>/b | ! | (~ & $ & /c)', '/a/x/y', '/b/x/y | ! | ~ & $ & /c/x/y'],
    // `*` matches exactly one element and captures nothing.
    ['/a/*/c => /d', '/a/b/c/e/f', '/d/e/f'],
    ['/a/*/c => /d', '/a/c', '~'],
    ['/a/* => /d', '/a', '~'],
    ['/s#/*/bar => /t/bah', '/s#/foo/bar/baz', '/t/bah/baz'],
    ['/s => /t', '/s#/foo', '~'],
    // The empty prefix matches everything; a destination of / only strips the prefix.
    ['/=>/p', '/a/b', '/p/a/b'],
    ['/=>/p', '/', '/p'],
    ['/a=>/', '/a/b', '/b'],
    ['/a=>/', '/a', '/'],
    // No match, or one ~ match, is Neg; two ~ matches are an Alt of Negs.
    ['/a=>/b', '/b', '~'],
    ['/a=>~', '/a/b', '~'],
    ['/=>~;/=>~', '/a', '~ | ~'],
    ['', '/a', '~'],
    // Matching is byte-exact and case-sensitive.
    ['/A=>/b;/\\x61=>/c', '/a', '/c'],
  ])('%s looks up %s to %s', (dtab, path, expected) => {
    expect(lookup(dtab, path)).toBe(expected);
  });

  it('returns exactly Neg when nothing matches, and an unsimplified Alt for two ~', () => {
    expect(Dtab.read('/a=>/b').lookup(Path.read('/c'))).toBe(NameTree.Neg);
    const two = Dtab.read('/=>~;/=>~').lookup(Path.read('/a'));
    expect(two).toEqual(NameTree.alt(NameTree.Neg, NameTree.Neg));
    expect(two).not.toBe(NameTree.Neg);
    expect(NameTree.simplify(two)).toBe(NameTree.Neg);
  });

  it('keeps weights and structure of the destination', () => {
    const t = Dtab.read('/a => 3*(/b | /c) & 0.25*/d').lookup(Path.read('/a/x'));
    expect(NameTree.show(t)).toBe('3*(/b/x | /c/x) & 0.25*/d/x');
    expect(t.type === 'union' && t.trees.map((w) => w.weight)).toEqual([3, 0.25]);
  });

  it('keeps bytes that need escapes in the residual', () => {
    expect(lookup('/a=>/b', '/a/\\x00\\xff')).toBe('/b/\\x00\\xff');
  });
});

describe('Dentry', () => {
  it('rewrites a matching path and returns null otherwise', () => {
    const d = Dentry.read('/a/* => /b');
    expect(d.rewrite(Path.read('/c/x'))).toBeNull();
    const t = d.rewrite(Path.read('/a/x/y'));
    expect(t && NameTree.show(t)).toBe('/b/y');
  });

  it('has a nop entry whose prefix holds a single "/" and cannot be parsed', () => {
    expect(Dentry.nop.show()).toBe('/\\x2f=>~');
    expect(Dentry.nop.prefix.elems).toEqual(['/']);
    expect(Dentry.nop.dst).toBe(NameTree.Neg);
    expect(Dentry.read(Dentry.nop.show()).equals(Dentry.nop)).toBe(true);
    expect(Dentry.nop.prefix.matches(Path.read('/a'))).toBe(false);
  });

  it('compares structurally with equals and by simplified destination with equiv', () => {
    const a = Dentry.read('/a => ~ | /b');
    const b = Dentry.read('/a => /b');
    expect(a.equals(b)).toBe(false);
    expect(a.equiv(b)).toBe(true);
    expect(Dentry.read('/a=>/b').equiv(Dentry.read('/*=>/b'))).toBe(false);
  });

  it('serialises to JSON as prefix and dst strings', () => {
    expect(JSON.parse(JSON.stringify(Dtab.read('/a/*=>/b & 2*/c')))).toEqual([{ prefix: '/a/*', dst: '/b & 2*/c' }]);
  });
});

describe('Dtab algebra', () => {
  const ab = Dtab.read('/a=>/b');
  const cd = Dtab.read('/c=>/d');

  it('concatenates, with the right side taking precedence', () => {
    const both = ab.concat(Dtab.read('/a=>/c'));
    expect(both.show()).toBe('/a=>/b;/a=>/c');
    expect(NameTree.show(both.lookup(Path.read('/a')))).toBe('/c | /b');
    expect(ab.concat(Dtab.empty)).toBe(ab);
    expect(Dtab.empty.concat(ab)).toBe(ab);
  });

  it('appends one dentry', () => {
    expect(ab.append(Dentry.read('/x=>!')).show()).toBe('/a=>/b;/x=>!');
    expect(ab.show()).toBe('/a=>/b');
  });

  it('strips a prefix only when the first entries are structurally equal', () => {
    const abcd = ab.concat(cd);
    expect(abcd.stripPrefix(ab).show()).toBe('/c=>/d');
    expect(abcd.stripPrefix(abcd).isEmpty).toBe(true);
    expect(abcd.stripPrefix(Dtab.empty)).toBe(abcd);
    expect(abcd.stripPrefix(cd)).toBe(abcd);
    expect(ab.stripPrefix(abcd)).toBe(ab);
    // Evaluation-equivalent is not enough: `~ | /b` is not `/b`.
    expect(Dtab.read('/a=>~ | /b;/c=>/d').stripPrefix(ab).show()).toBe('/a=>~ | /b;/c=>/d');
    expect(Dtab.read(' /a => /b ;/c=>/d').stripPrefix(Dtab.read('/a=>/b')).show()).toBe('/c=>/d');
  });

  it('simplifies every destination and drops entries that become Neg', () => {
    const d = Dtab.read('/a=>~ | /b;/c=>~;/d=>! & ~;/e=>~ | ~;/f=>$ & !;/g=>2*/x & ~');
    expect(d.simplified().show()).toBe('/a=>/b;/f=>$;/g=>/x');
    expect(Dtab.read('/a=>!').simplified().show()).toBe('/a=>!');
  });

  it('compares with equals (structural) and equiv (simplified destinations)', () => {
    expect(Dtab.read('/a=>/b;/c=>/d').equals(ab.concat(cd))).toBe(true);
    expect(Dtab.read('/a=>~ | /b').equals(ab)).toBe(false);
    expect(Dtab.read('/a=>~ | /b').equiv(ab)).toBe(true);
    expect(Dtab.read('/a=>/b;/c=>/d').equiv(ab)).toBe(false);
  });

  it('has the constants empty and fail', () => {
    expect(Dtab.empty.show()).toBe('');
    expect(Dtab.empty.size).toBe(0);
    expect(Dtab.fail.show()).toBe('/=>!');
    expect(Dtab.fail.equals(Dtab.read('/=>!'))).toBe(true);
    expect(Dtab.fail.lookup(Path.read('/any/path'))).toBe(NameTree.Fail);
    expect(Dtab.fail.dentries[0]!.prefix.isEmpty).toBe(true);
  });
});
