/**
 * The one entry into the generated nearley parser (grammar/dtab.ne). It skips the whitespace and
 * comment tokens the lexer marks, runs the parser from the start symbol each reader needs, and
 * turns a failure into a DtabSyntaxError with the position and what was expected there.
 */

import type { Token } from 'moo';
import nearley from 'nearley';
import type { DtabSyntaxError } from '../errors.js';
import { type Cons, toArray } from './cons.js';
import type { Dentry } from './dentry.js';
import { Dtab } from './dtab.js';
import compiled, { lexer } from './generated/dtab-grammar.js';
import type { NameTree } from './name-tree.js';
import type { Path } from './path.js';
import type { Prefix } from './prefix.js';
import { syntaxError } from './syntax-error.js';
import { WeightOutOfRange } from './weight.js';

type Start = 'dtab' | 'dentry' | 'tree' | 'path' | 'prefix';

/**
 * Where the whitespace or comment just before the latest token began, or -1 when the token was
 * adjacent to the one before it. Error reporting needs it: the parser never sees the gap, so it
 * would still offer to continue a path across it.
 */
let gapStart = -1;

/** Hands the parser every token but whitespace and comments; where they may stand is the lexer's business. */
const skippingLexer = {
  reset(chunk: string, state?: nearley.LexerState): void {
    gapStart = -1;
    lexer.reset(chunk, state as never);
  },
  next(): Token | undefined {
    let tok = lexer.next();
    gapStart = -1;
    while (tok !== undefined && (tok.type === 'ws' || tok.type === 'comment')) {
      if (gapStart === -1) gapStart = tok.offset;
      tok = lexer.next();
    }
    return tok;
  },
  save: () => lexer.save(),
  formatError: (_token: Token, message: string) => message,
  has: (type: string) => lexer.has(type),
};

// Built on first use: the generated module imports the classes that import this module.
let grammars: Map<Start, nearley.Grammar> | undefined;

function grammarFor(start: Start): nearley.Grammar {
  if (grammars === undefined) {
    const base = nearley.Grammar.fromCompiled(compiled);
    grammars = new Map();
    for (const s of ['dtab', 'dentry', 'tree', 'path', 'prefix'] as const) {
      const g = new nearley.Grammar(base.rules);
      g.start = s;
      g.lexer = skippingLexer as unknown as nearley.Lexer;
      grammars.set(s, g);
    }
  }
  return grammars.get(start)!;
}

// nearley keeps its chart internal; these are the parts of it error reporting reads.
interface ChartState {
  rule: { name: string; symbols: unknown[] };
  dot: number;
  reference: number;
}
interface ChartColumn {
  states: ChartState[];
  scannable: ChartState[];
}

function parse<T>(start: Start, input: string): T {
  const parser = new nearley.Parser(grammarFor(start));
  try {
    parser.feed(input);
  } catch (e) {
    throw describeFailure(parser, start, input, e);
  }
  const results = parser.results;
  if (results.length === 0) throw failureAt(input, input.length, expectedTypes(currentColumn(parser), start));
  // The grammar is unambiguous; a second parse is a bug in it, not in the input.
  if (results.length > 1)
    throw new Error(`ambiguous dtab grammar: ${results.length} parses of ${JSON.stringify(input)}`);
  return results[0] as T;
}

function currentColumn(parser: nearley.Parser): ChartColumn {
  return (parser as unknown as { table: ChartColumn[] }).table[parser.current]!;
}

const CATEGORY: Record<string, string> = {
  root: "'/'",
  slash: "'/'",
  label: 'label char',
  anyElem: "'*'",
  star: "'*'",
  arrow: "'='",
  amp: "'&'",
  pipe: "'|'",
  semi: "';'",
  rparen: "')'",
  end: 'end of input',
};

/** Tokens that continue a path or prefix; they must touch it, so a gap rules them out. */
const CONTINUATION = new Set(['slash', 'label', 'anyElem']);

/** The token types the parser could have accepted next, plus `end` when the input may stop here. */
function expectedTypes(column: ChartColumn, start: Start): Set<string> {
  const types = new Set<string>();
  for (const state of column.scannable) {
    const symbol = state.rule.symbols[state.dot] as { type?: string } | undefined;
    if (symbol?.type !== undefined) types.add(symbol.type);
  }
  const canEnd = column.states.some(
    (s) => s.rule.name === start && s.dot === s.rule.symbols.length && s.reference === 0,
  );
  if (canEnd) types.add('end');
  return types;
}

/**
 * Token types in the categories a syntax error names as expected
 * (docs/dtab-language.md#syntax-errors).
 */
function categories(types: Set<string>): string[] {
  const out: string[] = [];
  // Where a simple may start, `(`, `!`, `~`, `$`, `/` and a weight are all possible: say "simple".
  const simple = types.has('lparen');
  if (simple) out.push('simple');
  for (const [type, category] of Object.entries(CATEGORY)) {
    if (types.has(type) && !(simple && type === 'root') && !out.includes(category)) out.push(category);
  }
  return out;
}

/**
 * The error for a failure at `offset`. When whitespace or a comment came first, the tokens that
 * continue a path were never possible there; if nothing else was, the gap itself is the offending
 * character (`/a/ b`: a label char was expected at the space, as Finagle reports).
 */
function failureAt(input: string, offset: number, types: Set<string>): DtabSyntaxError {
  if (gapStart !== -1 && gapStart < offset) {
    const rest = new Set([...types].filter((t) => !CONTINUATION.has(t)));
    if (rest.size === 0) return syntaxError(input, gapStart, categories(types));
    return syntaxError(input, offset, categories(rest));
  }
  return syntaxError(input, offset, categories(types));
}

function describeFailure(parser: nearley.Parser, start: Start, input: string, e: unknown): Error {
  if (e instanceof WeightOutOfRange) return syntaxError(input, e.offset, ['weight'], e.message);
  const token = (e as { token?: Token }).token;
  if (token === undefined) return e as Error;
  const types = expectedTypes(currentColumn(parser), start);
  const at = token.offset;
  switch (token.type) {
    case 'badEscape':
      // `\` must be followed by `x` and two hex digits; point at the first character that is not.
      return syntaxError(input, at + token.text.length, [token.text.length === 1 ? "'x'" : 'hex char']);
    case 'badNumber':
      if (types.has('lparen')) {
        const second = token.text.indexOf('.', token.text.indexOf('.') + 1);
        if (second !== -1) return syntaxError(input, at + second, ['number char']);
        return syntaxError(input, at, ['weight']);
      }
      break;
    case 'eq':
      // `=` alone: Finagle reads `=>` one character at a time, so the complaint is about the next one.
      if (types.has('arrow')) return syntaxError(input, at + 1, ["'>'"]);
      break;
  }
  return failureAt(input, at, types);
}

export function parseDtab(input: string): Dtab {
  const list = parse<Cons<Dentry> | null>('dtab', input);
  return list === null ? Dtab.empty : new Dtab(toArray(list));
}

export function parseDentry(input: string): Dentry {
  return parse('dentry', input);
}

export function parseNameTree(input: string): NameTree<Path> {
  return parse('tree', input);
}

export function parsePath(input: string): Path {
  return parse('path', input);
}

export function parsePrefix(input: string): Prefix {
  return parse('prefix', input);
}
