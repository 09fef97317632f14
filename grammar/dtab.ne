# The dtab language: paths, prefixes, name trees, dentries and dtabs (docs/dtab-language.md).
#
# Compiled by `npm run grammar` (scripts/build-grammar.mjs) into src/dtab/generated/dtab-grammar.ts;
# never edit that file by hand: a test regenerates it and fails when the two disagree.
#
# Whitespace and `#` comments are skipped only where Finagle's parser skips them. The lexer decides
# that with two states: in `main`, whitespace and comments are tokens the parser never sees; after a
# `/` the lexer is in `path`, where `#`, `$`, `.` and digits are label characters and whitespace ends
# the path. So `/a => /b#x` has the destination `/b#x`, and `/a => /b #x` has `/b` and a comment.
# A `*` prefix element moves the lexer to `afterAny`, where `#` is a comment again.
# `=>` is one token because Finagle does not allow whitespace inside it.
#
# The grammar is unambiguous (a test checks that every input yields at most one parse), and every
# list is left-recursive, which nearley handles in linear time.

@preprocessor typescript

@{%
import moo from 'moo';
import { decodeLabel } from '../bytes.js';
import { type Cons, cons, toArray } from '../cons.js';
import { Dentry } from '../dentry.js';
import { NameTree, type Weighted } from '../name-tree.js';
import { Path } from '../path.js';
import { AnyElem, Prefix, type PrefixElem } from '../prefix.js';
import { readWeight } from '../weight.js';

// Java's Character.isWhitespace: not JS \s, which also takes the no-break spaces
// (docs/dtab-language.md#whitespace-and-comments).
const WHITESPACE = /[ \t\n\x0B\f\r\x1C-\x1F\u1680\u2000-\u2006\u2008-\u200A\u2028\u2029\u205F\u3000]+/;
// Runs of plain characters are matched in one step; the engine would otherwise loop per character.
const LABEL = /(?:[0-9A-Za-z_:.#$%-]+|\\x[0-9a-fA-F]{2})+/;

// Tokens that end a path and hand control back to the main state.
const punctuation = {
  arrow: { match: '=>', next: 'main' },
  eq: { match: '=', next: 'main' },
  pipe: { match: '|', next: 'main' },
  amp: { match: '&', next: 'main' },
  lparen: { match: '(', next: 'main' },
  rparen: { match: ')', next: 'main' },
  bang: { match: '!', next: 'main' },
  tilde: { match: '~', next: 'main' },
  semi: { match: ';', next: 'main' },
};

export const lexer = moo.states({
  main: {
    ws: { match: WHITESPACE, lineBreaks: true },
    comment: /#[^\n]*/,
    root: { match: '/', next: 'path' },
    ...punctuation,
    star: '*',
    dollar: '$',
    // A weight: digits with at most one dot, not a lone dot. Anything else made of digits and
    // dots is a badNumber, which no rule accepts, so the error points at it.
    number: /(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?![0-9.])/,
    badNumber: /[0-9.]+/,
    error: moo.error,
  },
  path: {
    label: { match: LABEL, value: decodeLabel },
    slash: '/',
    anyElem: { match: '*', next: 'afterAny' },
    // A backslash that does not start a complete \xNN escape.
    badEscape: /\\(?:x[0-9a-fA-F]?)?/,
    ws: { match: WHITESPACE, lineBreaks: true, next: 'main' },
    ...punctuation,
    error: moo.error,
  },
  // After a `*` element only an adjacent `/` continues the prefix. Finagle then skips whitespace,
  // so a `#` here starts a comment (`/a/*#c` is the prefix `/a/*`), unlike after a label, where
  // `#` is one more label character.
  afterAny: {
    slash: { match: '/', next: 'path' },
    ws: { match: WHITESPACE, lineBreaks: true, next: 'main' },
    comment: { match: /#[^\n]*/, next: 'main' },
    ...punctuation,
    error: moo.error,
  },
});

type Tok = moo.Token;
%}

@lexer lexer

# --- dtabs: `;`-separated dentries, at most one trailing `;`, possibly none at all ----------------

# `dtab` yields the list itself: its rule completes after every dentry, so building the Dtab here
# would copy the list each time. parse.ts builds it once, from the final result.
dtab -> null                        {% () => null %}
      | dentries                    {% (d) => d[0] %}
      | dentries %semi              {% (d) => d[0] %}

dentries -> dentry                  {% (d) => cons(null, d[0]) %}
          | dentries %semi dentry   {% (d) => cons(d[0], d[2]) %}

dentry -> prefix %arrow tree        {% (d) => new Dentry(d[0], d[2]) %}

# --- name trees: `|` binds loosest, then `&`, then a weight ---------------------------------------

tree -> tree1                       {% (d) => d[0] %}
      | alts                        {% (d) => NameTree.alt(...toArray(d[0] as Cons<NameTree<Path>>)) %}

alts -> tree1 %pipe tree1           {% (d) => cons(cons(null, d[0]), d[2]) %}
      | alts %pipe tree1            {% (d) => cons(d[0], d[2]) %}

# A weight on a lone member is dropped: only a union of two or more keeps weights
# (docs/dtab-language.md#weights).
tree1 -> weighted                   {% (d) => (d[0] as Weighted<Path>).tree %}
       | members                    {% (d) => NameTree.union(...toArray(d[0] as Cons<Weighted<Path>>)) %}

members -> weighted %amp weighted   {% (d) => cons(cons(null, d[0]), d[2]) %}
         | members %amp weighted    {% (d) => cons(d[0], d[2]) %}

weighted -> simple                  {% (d) => NameTree.weighted(1, d[0]) %}
          | %number %star simple    {% (d) => NameTree.weighted(readWeight(d[0] as Tok), d[2]) %}

simple -> %lparen tree %rparen      {% (d) => d[1] %}
        | path                      {% (d) => NameTree.leaf(d[0]) %}
        | %bang                     {% () => NameTree.Fail %}
        | %tilde                    {% () => NameTree.Neg %}
        | %dollar                   {% () => NameTree.Empty %}

# --- paths and prefixes: `/` alone is the empty path ----------------------------------------------
# The first `/` of a path is a `root` token (lexed in `main`); the ones inside it are `slash` tokens
# (lexed in `path`), so `/a /b` cannot read as `/a/b` even though whitespace never reaches the parser.
# Likewise `*` inside a prefix is `anyElem`, while `star` is the weight operator.

path -> %root                       {% () => Path.empty %}
      | labels                      {% (d) => new Path(toArray(d[0])) %}

labels -> %root %label              {% (d) => cons(null, (d[1] as Tok).value) %}
        | labels %slash %label      {% (d) => cons(d[0], (d[2] as Tok).value) %}

prefix -> %root                     {% () => Prefix.empty %}
        | prefixElems               {% (d) => new Prefix(toArray(d[0])) %}

prefixElems -> %root prefixElem                 {% (d) => cons<PrefixElem>(null, d[1]) %}
             | prefixElems %slash prefixElem    {% (d) => cons<PrefixElem>(d[0], d[2]) %}

prefixElem -> %label                {% (d) => (d[0] as Tok).value %}
            | %anyElem              {% () => AnyElem %}
