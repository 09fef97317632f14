// DO NOT EDIT. Generated from grammar/dtab.ne by scripts/build-grammar.mjs (npm run grammar).
/* eslint-disable */
// Generated automatically by nearley, version 2.20.1
// http://github.com/Hardmath123/nearley
// Bypasses TS6133. Allow declared but unused functions.
// @ts-ignore
function id(d: any[]): any { return d[0]; }
declare var semi: any;
declare var arrow: any;
declare var pipe: any;
declare var amp: any;
declare var number: any;
declare var star: any;
declare var lparen: any;
declare var rparen: any;
declare var bang: any;
declare var tilde: any;
declare var dollar: any;
declare var root: any;
declare var label: any;
declare var slash: any;
declare var anyElem: any;

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

interface NearleyToken {
  value: any;
  [key: string]: any;
};

interface NearleyLexer {
  reset: (chunk: string, info: any) => void;
  next: () => NearleyToken | undefined;
  save: () => any;
  formatError: (token: never) => string;
  has: (tokenType: string) => boolean;
};

interface NearleyRule {
  name: string;
  symbols: NearleySymbol[];
  postprocess?: (d: any[], loc?: number, reject?: {}) => any;
};

type NearleySymbol = string | { literal: any } | { test: (token: any) => boolean };

interface Grammar {
  Lexer: NearleyLexer | undefined;
  ParserRules: NearleyRule[];
  ParserStart: string;
};

const grammar: Grammar = {
  Lexer: lexer,
  ParserRules: [
    {"name": "dtab", "symbols": [], "postprocess": () => null},
    {"name": "dtab", "symbols": ["dentries"], "postprocess": (d) => d[0]},
    {"name": "dtab", "symbols": ["dentries", (lexer.has("semi") ? {type: "semi"} : semi)], "postprocess": (d) => d[0]},
    {"name": "dentries", "symbols": ["dentry"], "postprocess": (d) => cons(null, d[0])},
    {"name": "dentries", "symbols": ["dentries", (lexer.has("semi") ? {type: "semi"} : semi), "dentry"], "postprocess": (d) => cons(d[0], d[2])},
    {"name": "dentry", "symbols": ["prefix", (lexer.has("arrow") ? {type: "arrow"} : arrow), "tree"], "postprocess": (d) => new Dentry(d[0], d[2])},
    {"name": "tree", "symbols": ["tree1"], "postprocess": (d) => d[0]},
    {"name": "tree", "symbols": ["alts"], "postprocess": (d) => NameTree.alt(...toArray(d[0] as Cons<NameTree<Path>>))},
    {"name": "alts", "symbols": ["tree1", (lexer.has("pipe") ? {type: "pipe"} : pipe), "tree1"], "postprocess": (d) => cons(cons(null, d[0]), d[2])},
    {"name": "alts", "symbols": ["alts", (lexer.has("pipe") ? {type: "pipe"} : pipe), "tree1"], "postprocess": (d) => cons(d[0], d[2])},
    {"name": "tree1", "symbols": ["weighted"], "postprocess": (d) => (d[0] as Weighted<Path>).tree},
    {"name": "tree1", "symbols": ["members"], "postprocess": (d) => NameTree.union(...toArray(d[0] as Cons<Weighted<Path>>))},
    {"name": "members", "symbols": ["weighted", (lexer.has("amp") ? {type: "amp"} : amp), "weighted"], "postprocess": (d) => cons(cons(null, d[0]), d[2])},
    {"name": "members", "symbols": ["members", (lexer.has("amp") ? {type: "amp"} : amp), "weighted"], "postprocess": (d) => cons(d[0], d[2])},
    {"name": "weighted", "symbols": ["simple"], "postprocess": (d) => NameTree.weighted(1, d[0])},
    {"name": "weighted", "symbols": [(lexer.has("number") ? {type: "number"} : number), (lexer.has("star") ? {type: "star"} : star), "simple"], "postprocess": (d) => NameTree.weighted(readWeight(d[0] as Tok), d[2])},
    {"name": "simple", "symbols": [(lexer.has("lparen") ? {type: "lparen"} : lparen), "tree", (lexer.has("rparen") ? {type: "rparen"} : rparen)], "postprocess": (d) => d[1]},
    {"name": "simple", "symbols": ["path"], "postprocess": (d) => NameTree.leaf(d[0])},
    {"name": "simple", "symbols": [(lexer.has("bang") ? {type: "bang"} : bang)], "postprocess": () => NameTree.Fail},
    {"name": "simple", "symbols": [(lexer.has("tilde") ? {type: "tilde"} : tilde)], "postprocess": () => NameTree.Neg},
    {"name": "simple", "symbols": [(lexer.has("dollar") ? {type: "dollar"} : dollar)], "postprocess": () => NameTree.Empty},
    {"name": "path", "symbols": [(lexer.has("root") ? {type: "root"} : root)], "postprocess": () => Path.empty},
    {"name": "path", "symbols": ["labels"], "postprocess": (d) => new Path(toArray(d[0]))},
    {"name": "labels", "symbols": [(lexer.has("root") ? {type: "root"} : root), (lexer.has("label") ? {type: "label"} : label)], "postprocess": (d) => cons(null, (d[1] as Tok).value)},
    {"name": "labels", "symbols": ["labels", (lexer.has("slash") ? {type: "slash"} : slash), (lexer.has("label") ? {type: "label"} : label)], "postprocess": (d) => cons(d[0], (d[2] as Tok).value)},
    {"name": "prefix", "symbols": [(lexer.has("root") ? {type: "root"} : root)], "postprocess": () => Prefix.empty},
    {"name": "prefix", "symbols": ["prefixElems"], "postprocess": (d) => new Prefix(toArray(d[0]))},
    {"name": "prefixElems", "symbols": [(lexer.has("root") ? {type: "root"} : root), "prefixElem"], "postprocess": (d) => cons<PrefixElem>(null, d[1])},
    {"name": "prefixElems", "symbols": ["prefixElems", (lexer.has("slash") ? {type: "slash"} : slash), "prefixElem"], "postprocess": (d) => cons<PrefixElem>(d[0], d[2])},
    {"name": "prefixElem", "symbols": [(lexer.has("label") ? {type: "label"} : label)], "postprocess": (d) => (d[0] as Tok).value},
    {"name": "prefixElem", "symbols": [(lexer.has("anyElem") ? {type: "anyElem"} : anyElem)], "postprocess": () => AnyElem}
  ],
  ParserStart: "dtab",
};

export default grammar;
