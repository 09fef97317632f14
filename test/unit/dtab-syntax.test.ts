/**
 * The concrete syntax of paths, prefixes, name trees, dentries and dtabs (docs/dtab-language.md):
 * what each reader accepts and rejects, and the values it builds. Error positions and messages are
 * in dtab-syntax-errors.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { Dentry, Dtab, NameTree, Path, Prefix } from '../../src/index.js';
import { toAst } from '../helpers/ast.js';
import { syntaxErrorOf } from '../helpers/syntax-error.js';

const readers = {
  path: Path.read,
  prefix: Prefix.read,
  tree: NameTree.read,
  dentry: Dentry.read,
  dtab: Dtab.read,
} as const;

describe('paths', () => {
  it.each([
    ['/', [], '/'],
    ['/foo # comment', ['foo'], '/foo'],
    ['/foo#bar', ['foo#bar'], '/foo#bar'],
    ['/#/io.l5d.k8s', ['#', 'io.l5d.k8s'], '/#/io.l5d.k8s'],
    ['/_:.#$%-/09AZaz', ['_:.#$%-', '09AZaz'], '/_:.#$%-/09AZaz'],
    ['/./..', ['.', '..'], '/./..'],
    ['/\\x66\\x6f\\x6F', ['foo'], '/foo'],
    ['/\\x2F', ['/'], '/\\x2f'],
    ['/\\xC3\\xA9', ['\xc3\xa9'], '/\\xc3\\xa9'],
    ['/foo\\x20bar', ['foo bar'], '/\\x66\\x6f\\x6f\\x20\\x62\\x61\\x72'],
    ['/a/x\\x00', ['a', 'x\x00'], '/a/\\x78\\x00'],
    ['/\\xff\\x41', ['\xffA'], '/\\xff\\x41'],
  ])('%j reads as %j and shows as %j', (input, elems, shown) => {
    const p = Path.read(input);
    expect(p.elems).toEqual(elems);
    expect(p.show()).toBe(shown);
    expect(Path.read(shown).equals(p)).toBe(true);
  });

  it.each([
    '',
    'foo',
    '/foo/',
    '/a//b',
    '//foo',
    '/ foo',
    '/*',
    '/a/*',
    '/foo*',
    '/\u00e9',
    '/\\X41',
    '/\\x4',
    '/\\x4g',
    '/\\',
    '/foo bar',
    '/foo^bar',
    '/foo,bar',
    '/a=>/b',
  ])('rejects %j', (input) => {
    syntaxErrorOf(Path.read, input);
  });

  it('matches byte for byte and case-sensitively; escapes are just another spelling', () => {
    expect(Path.read('/Foo').equals(Path.read('/foo'))).toBe(false);
    expect(Path.read('/\\x41').equals(Path.read('/A'))).toBe(true);
    expect(Path.read('/\\x41').equals(Path.read('/\\x61'))).toBe(false);
  });

  it('decodes UTF-8 elements and builds byte strings from text', () => {
    expect(Path.read('/\\xc3\\xa9t\\xc3\\xa9').utf8Elems()).toEqual(['été']);
    expect(Path.utf8('caf\u00e9').show()).toBe('/\\x63\\x61\\x66\\xc3\\xa9');
    expect(() => new Path(['a', ''])).toThrow();
  });

  it('has startsWith, take, drop and concat by whole elements', () => {
    const p = Path.read('/a/b/c');
    expect(p.startsWith(Path.read('/a/b'))).toBe(true);
    expect(p.startsWith(Path.read('/a/bc'))).toBe(false);
    expect(p.take(2).show()).toBe('/a/b');
    expect(p.drop(1).show()).toBe('/b/c');
    expect(p.drop(5).isEmpty).toBe(true);
    expect(p.concat(Path.empty)).toBe(p);
    expect(Path.read('/x').concat(p).show()).toBe('/x/a/b/c');
  });
});

describe('prefixes', () => {
  it.each([
    ['/', '/'],
    ['/*', '/*'],
    ['/foo/*/bar', '/foo/*/bar'],
    ['/\\x2a', '/\\x2a'],
    ['/a/*#comment', '/a/*'],
    ['/a/* # comment', '/a/*'],
    ['/a#b/*', '/a#b/*'],
  ])('%j shows as %j', (input, shown) => {
    expect(Prefix.read(input).show()).toBe(shown);
  });

  it.each(['/foo*', '/*foo', '/**', '/a/*/', '/a/* /b', 'foo'])('rejects %j', (input) => {
    syntaxErrorOf(Prefix.read, input);
  });

  it('matches exactly one element per *, and a literal \\x2a only a star', () => {
    const any = Prefix.read('/a/*/c');
    expect(any.matches(Path.read('/a/b/c/d'))).toBe(true);
    expect(any.matches(Path.read('/a/c'))).toBe(false);
    expect(any.matches(Path.read('/a/b/x/c'))).toBe(false);
    expect(Prefix.read('/\\x2a').matches(Path.read('/b'))).toBe(false);
    expect(Prefix.read('/\\x2a').matches(Path.read('/\\x2a'))).toBe(true);
    expect(Prefix.empty.matches(Path.empty)).toBe(true);
  });
});

describe('name trees', () => {
  it('gives & precedence over |', () => {
    expect(NameTree.show(NameTree.read('/a & /b | /c'))).toBe('/a & /b | /c');
    expect(toAst(NameTree.read('/a | /b & /c')).type).toBe('alt');
  });

  it.each([
    ['1*/a & /b', 1],
    ['2.5*/a & /b', 2.5],
    ['.5*/a & /b', 0.5],
    ['1.*/a & /b', 1],
    ['007*/a & /b', 7],
    ['0*/a & /b', 0],
    ['1 * /a & /b', 1],
    ['3#c\n*#d\n/a & /b', 3],
    [`${'9'.repeat(300)}*/a & /b`, Number('9'.repeat(300))],
  ])('accepts the weight in %j', (input, weight) => {
    const t = NameTree.read(input);
    expect(t.type === 'union' && t.trees[0]!.weight).toBe(weight);
  });

  it.each([
    '-1*/a',
    '+1*/a',
    '1e3*/a',
    '0.1.2*/a',
    '. * /bar',
    '1.5 & /a',
    '2 * 3 * /a',
    'NaN*/a',
    'Infinity*/a',
    '0x10*/a & /b',
    '\u0661*/a & /b',
    '1\u0661*/a & /b',
  ])('rejects the weight in %j', (input) => {
    syntaxErrorOf(NameTree.read, input);
  });

  it('rejects a weight too large for a double, saying so', () => {
    const err = syntaxErrorOf(NameTree.read, `${'1'.repeat(400)}*/a & /b`);
    expect(err.message).toMatch(/weight out of range/);
    expect(err.expected).toEqual(['weight']);
    expect(err.column).toBe(1);
  });

  it.each(['', '#', '()', '/a |', '/a | | /b', '/a /b', '(/a', '/a)', '/a & & /b', '/a ~', '/a=>/b'])(
    'rejects %j',
    (input) => {
      syntaxErrorOf(NameTree.read, input);
    },
  );
});

describe('dentries and dtabs', () => {
  it.each([
    ['', 0],
    ['   \t\n', 0],
    ['# only a comment', 0],
    ['/=>!;', 1],
    ['/b => /c;\n/a => /b;\n', 2],
    ['/a=>/b ; /c=>/d ;  # done', 2],
  ])('%j has %d entries', (input, size) => {
    expect(Dtab.read(input).size).toBe(size);
  });

  it.each([';', ';/a=>/b', '/a=>/b;;', '/a=>/b;;/c=>/d', '/a=>/b\n/c=>/d', '/a=>/b,/c=>/d', '/a = > /b', '/a =>'])(
    'Dtab.read rejects %j',
    (input) => {
      syntaxErrorOf(Dtab.read, input);
    },
  );

  it('Dentry.read rejects a trailing ; and two dentries', () => {
    syntaxErrorOf(Dentry.read, '/a=>/b;');
    syntaxErrorOf(Dentry.read, '/a=>/b;/c=>/d');
    expect(Dentry.read(' /a => /b ').show()).toBe('/a=>/b');
  });

  it('prints dentries and dtabs without spaces around => and ;', () => {
    expect(Dtab.read(' /foo => /bah | /beh | /$/fail ; /x=>$').show()).toBe('/foo=>/bah | /beh | /$/fail;/x=>$');
    expect(Dtab.empty.show()).toBe('');
  });
});

describe('whitespace and comments', () => {
  it('treats # as a label character inside a path and as a comment after a gap', () => {
    expect(NameTree.show(Dentry.read('/a => /b#x').dst)).toBe('/b#x');
    expect(NameTree.show(Dentry.read('/a => /b #x').dst)).toBe('/b');
    expect(Dentry.read('/s#/*/bar => /t').prefix.show()).toBe('/s#/*/bar');
    expect(NameTree.show(NameTree.read('(/a)#c\n& $#d\n| !#e'))).toBe('/a & $ | !');
  });

  it('lets a comment swallow the rest of its line, ; and later dentries included', () => {
    expect(Dtab.read('/a => /b # c ; /c=>/d').show()).toBe('/a=>/b');
    // The ; went into the comment, and a newline does not separate dentries.
    syntaxErrorOf(Dtab.read, '/a => /b # c ;\n /c=>/d');
    expect(Dtab.read('/a => /b ; # c\n /c=>/d').show()).toBe('/a=>/b;/c=>/d');
  });

  it('ends a comment only at \\n, not at a lone \\r', () => {
    expect(Path.read('/a #x\r/b').show()).toBe('/a');
    expect(Dtab.read('/a=>/b #x\r;/c=>/d').size).toBe(1);
    expect(Dtab.read('/a=>/b #x\r\n;/c=>/d').size).toBe(2);
  });

  it.each([
    ['space', ' '],
    ['tab', '\t'],
    ['vertical tab', '\x0b'],
    ['form feed', '\f'],
    ['carriage return', '\r'],
    ['U+001C', '\x1c'],
    ['U+001F', '\x1f'],
    ['U+1680', '\u1680'],
    ['U+2003', '\u2003'],
    ['U+200A', '\u200a'],
    ['U+2028', '\u2028'],
    ['U+205F', '\u205f'],
    ['U+3000', '\u3000'],
  ])('accepts %s as whitespace', (_, ws) => {
    expect(Dtab.read(`${ws}/a${ws}=>${ws}/b${ws}|${ws}/c${ws};${ws}`).show()).toBe('/a=>/b | /c');
  });

  it.each([
    ['U+00A0', '\u00a0'],
    ['U+2007', '\u2007'],
    ['U+202F', '\u202f'],
    ['U+0085', '\u0085'],
    ['U+FEFF', '\ufeff'],
    ['U+200B', '\u200b'],
  ])('rejects %s, which Java does not count as whitespace', (name, ws) => {
    for (const read of Object.values(readers)) {
      const err = syntaxErrorOf(read, `${ws}/a`);
      expect(err.found).toBe(name);
      expect(err.column).toBe(1);
    }
  });

  it('does not allow whitespace inside a path or inside =>', () => {
    syntaxErrorOf(Path.read, '/a /b');
    syntaxErrorOf(Path.read, '/a/ b');
    syntaxErrorOf(Dentry.read, '/a = > /b');
  });
});
