/**
 * Syntax errors (docs/dtab-language.md#syntax-errors): the 1-based line and column of the offending
 * character, that character (escaped when unprintable) or "end of input", and what was expected
 * there.
 */
import { describe, expect, it } from 'vitest';
import { Dentry, Dtab, NameTree, Path, Prefix } from '../../src/index.js';
import { syntaxErrorOf } from '../helpers/syntax-error.js';

const readers = { path: Path.read, prefix: Prefix.read, tree: NameTree.read, dentry: Dentry.read, dtab: Dtab.read };
type Reader = keyof typeof readers;

// reader, input, line, column, found, expected (exactly), excerpt (when checked)
const cases: [Reader, string, number, number, string, string[], string?][] = [
  ['path', '', 1, 1, 'end of input', ["'/'"], '[]'],
  ['path', 'invalid-param', 1, 1, "'i'", ["'/'"], '[i]nvalid-param'],
  ['path', '/foo/bar/', 1, 10, 'end of input', ['label char'], '/foo/bar/[]'],
  ['path', '/foo^bar', 1, 5, "'^'", ["'/'", 'end of input'], '/foo[^]bar'],
  ['path', '/{}', 1, 2, "'{'", ['label char', 'end of input'], '/[{]}'],
  ['path', '/\\?', 1, 3, "'?'", ["'x'"], '/\\[?]'],
  ['path', '/\\x?', 1, 4, "'?'", ['hex char'], '/\\x[?]'],
  ['path', '/\\x0?', 1, 5, "'?'", ['hex char'], '/\\x0[?]'],
  ['path', '/\\X41', 1, 3, "'X'", ["'x'"]],
  ['path', '/\\', 1, 3, 'end of input', ["'x'"]],
  ['path', '/ foo', 1, 3, "'f'", ['end of input']],
  ['path', '/foo bar', 1, 6, "'b'", ['end of input']],
  ['path', '/a/ b', 1, 4, "' '", ['label char']],
  ['path', '/a/*', 1, 4, "'*'", ['label char']],
  ['prefix', '/foo => /far', 1, 6, "'='", ['end of input'], '/foo [=]> /far'],
  ['prefix', '/**', 1, 3, "'*'", ["'/'", 'end of input']],
  ['tree', '', 1, 1, 'end of input', ['simple'], '[]'],
  ['tree', '#', 1, 2, 'end of input', ['simple'], '#[]'],
  ['tree', '/foo &', 1, 7, 'end of input', ['simple'], '/foo &[]'],
  ['tree', '/foo & 0.1.2 * /bar', 1, 11, "'.'", ['number char'], '/foo & 0.1[.]2 * /bar'],
  ['tree', '. * /bar', 1, 1, "'.'", ['weight']],
  ['tree', '/foo & . * /bar', 1, 8, "'.'", ['weight']],
  ['tree', '1e3*/a', 1, 2, "'e'", ["'*'"]],
  ['tree', '-1*/a', 1, 1, "'-'", ['simple']],
  ['tree', '2 * 3 * /a', 1, 5, "'3'", ['simple']],
  ['tree', '1.5 & /a', 1, 5, "'&'", ["'*'"]],
  ['tree', '(/a', 1, 4, 'end of input', ["'/'", "'&'", "'|'", "')'"]],
  ['tree', '/a /b', 1, 4, "'/'", ["'&'", "'|'", 'end of input']],
  ['tree', '\u0661*/a', 1, 1, 'U+0661', ['simple']],
  ['dentry', '/a = > /b', 1, 5, "' '", ["'>'"], '/a =[ ]> /b'],
  ['dentry', '/a =', 1, 5, 'end of input', ["'>'"]],
  ['dentry', '/foo/*bar/baz => !', 1, 7, "'b'", ["'/'", "'='"], '/foo/*[b]ar/baz => !'],
  ['dentry', '/&!', 1, 2, "'&'", ['label char', "'*'", "'='"], '/[&]!'],
  ['dentry', '/a=>/b;', 1, 7, "';'", ["'/'", "'&'", "'|'", 'end of input']],
  ['dtab', ';', 1, 1, "';'", ["'/'", 'end of input']],
  ['dtab', '/a=>/b;;', 1, 8, "';'", ["'/'", 'end of input'], '/a=>/b;[;]'],
  ['dtab', '/a=>/b\n/c=>/d', 2, 1, "'/'", ["'&'", "'|'", "';'", 'end of input'], '[/]c=>/d'],
  ['dtab', '/a=>/b;\r\n/c=>^', 2, 5, "'^'", ['simple'], '/c=>[^]'],
  ['dtab', '# one\n/a=>/b; # two\n  /c => /d &', 3, 13, 'end of input', ['simple'], '  /c => /d &[]'],
  ['dtab', '/a=>\u00a0/b', 1, 5, 'U+00A0', ['simple']],
  ['dtab', '/a=>/b\u2007', 1, 7, 'U+2007', ["'/'", "'&'", "'|'", "';'", 'end of input']],
  ['dtab', '/a=>\x01', 1, 5, 'U+0001', ['simple'], '/a=>[\\x01]'],
  ['dtab', '/a=>\u2003\u{1F389}', 1, 6, 'U+1F389', ['simple'], '/a=>\u2003[\u{1F389}]'],
];

describe('syntax error positions', () => {
  it.each(cases)('%s %j: line %d, column %d, found %s', (reader, input, line, column, found, expected, excerpt) => {
    const err = syntaxErrorOf(readers[reader], input);
    expect({ line: err.line, column: err.column, found: err.found, expected: err.expected }).toEqual({
      line,
      column,
      found,
      expected,
    });
    if (excerpt !== undefined) expect(err.excerpt).toBe(excerpt);
    expect(err.message).toContain(found);
    for (const e of expected) expect(err.message).toContain(e);
  });

  it('counts columns in code points, not UTF-16 units', () => {
    const err = syntaxErrorOf(Dtab.read, '/a=>\u{1F389}\u{1F389}');
    expect(err.column).toBe(5);
    expect(err.offset).toBe(4);
    // The second emoji is two code units further on, but one column.
    expect(syntaxErrorOf(NameTree.read, '$ \u{1F389}').column).toBe(3);
  });

  it('shortens the excerpt of a long line but keeps the marked character', () => {
    const err = syntaxErrorOf(Dtab.read, `/a=>/${'x'.repeat(200)} ^ ${'y'.repeat(200)}`);
    expect(err.column).toBe(207);
    expect(err.excerpt).toMatch(/^….*x \[\^\] y.*…$/);
    expect(err.excerpt.length).toBeLessThan(120);
  });

  it('is an error with the registry code and HTTP status 400', () => {
    const err = syntaxErrorOf(Dtab.read, '/a=>');
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('DtabSyntaxError');
    expect(err.code).toBe('SY_ERR_DTAB_SYNTAX');
    expect(err.status).toBe(400);
  });
});
