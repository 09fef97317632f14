/**
 * fast-check arbitraries for the dtab algebra, limited to what the parser can produce: alts and
 * unions of two or more members, weights only on union members, and finite non-negative weights.
 * Also a "noisy" printer that spells a value in many equivalent ways (gaps of whitespace and
 * comments wherever the grammar skips them, redundant parentheses, escapes, weight spellings),
 * so parsing the text must give the value back.
 */
import fc from 'fast-check';
import type { PrefixElem } from '../../src/dtab/prefix.js';
import { AnyElem, Dentry, Dtab, NameTree, Path, Prefix } from '../../src/index.js';

const SHOWABLE = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_:.#$%-';

/** One byte, as a char 0x00–0xFF: mostly showable ones, so that both printing styles occur. */
const byte = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...SHOWABLE) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 255 }).map((b) => String.fromCharCode(b)) },
);

export const label = fc.string({ unit: byte, minLength: 1, maxLength: 6 });

export const path = fc.array(label, { maxLength: 4 }).map((elems) => new Path(elems));

export const prefix = fc
  .array(fc.oneof({ weight: 4, arbitrary: label }, { weight: 1, arbitrary: fc.constant(AnyElem) }), { maxLength: 4 })
  .map((elems: PrefixElem[]) => new Prefix(elems));

/** Finite weights ≥ 0 (never -0, which cannot be written), with 1 and small integers common. */
export const weight = fc.oneof(
  fc.constant(1),
  fc.integer({ min: 0, max: 100 }),
  fc.double({ min: 0, noNaN: true, noDefaultInfinity: true }).filter((w) => !Object.is(w, -0)),
);

export const tree: fc.Arbitrary<NameTree<Path>> = fc.letrec<{ tree: NameTree<Path> }>((tie) => ({
  tree: fc.oneof(
    { maxDepth: 4, depthIdentifier: 'tree' },
    path.map((p) => NameTree.leaf(p)),
    fc.constantFrom<NameTree<Path>>(NameTree.Neg, NameTree.Fail, NameTree.Empty),
    fc.array(tie('tree'), { minLength: 2, maxLength: 3 }).map((ts) => NameTree.alt(...ts)),
    fc
      .array(fc.tuple(weight, tie('tree')), { minLength: 2, maxLength: 3 })
      .map((ws) => NameTree.union(...ws.map(([w, t]) => NameTree.weighted(w, t)))),
  ),
})).tree;

export const dentry = fc.tuple(prefix, tree).map(([p, t]) => new Dentry(p, t));

export const dtab = fc.array(dentry, { maxLength: 4 }).map((ds) => new Dtab(ds));

// --- the noisy printer --------------------------------------------------------------------------

type Gen = fc.GeneratorValue;

/** Whitespace or a comment; never starts with `#`, which right after a label would extend it. */
function gap(g: Gen): string {
  return g(fc.constantFrom, '', '', ' ', '  ', '\t', '\n', ' # note | & ; => ( \n', '\u2003', '\r\n', '\x1c');
}

function spellElem(g: Gen, elem: string): string {
  let out = '';
  for (const ch of elem) {
    if (SHOWABLE.includes(ch) && g(fc.boolean)) out += ch;
    else {
      const hex = ch.charCodeAt(0).toString(16).padStart(2, '0');
      out += `\\x${g(fc.boolean) ? hex.toUpperCase() : hex}`;
    }
  }
  return out;
}

export function spellPath(g: Gen, p: Path): string {
  return `/${p.elems.map((e) => spellElem(g, e)).join('/')}`;
}

export function spellPrefix(g: Gen, p: Prefix): string {
  return `/${p.elems.map((e) => (e === AnyElem ? '*' : spellElem(g, e))).join('/')}`;
}

/** Equivalent spellings of a weight: the printed form, with leading zeros, trailing zeros or dot. */
function spellWeight(g: Gen, w: number): string {
  const shown = NameTree.show(
    NameTree.union<Path>(NameTree.weighted(w, NameTree.Neg), NameTree.weighted(1, NameTree.Neg)),
  );
  const digits = w === 1 ? '1' : shown.slice(0, shown.indexOf('*'));
  const lead = g(fc.constantFrom, '', '0', '00');
  const trail = digits.includes('.') ? g(fc.constantFrom, '', '0', '000') : g(fc.constantFrom, '', '.', '.0', '.000');
  return `${lead}${digits}${trail}`;
}

function weighted(g: Gen, w: number, t: NameTree<Path>): string {
  if (w === 1 && g(fc.boolean)) return simple(g, t);
  return `${spellWeight(g, w)}${gap(g)}*${gap(g)}${simple(g, t)}`;
}

function paren(g: Gen, text: string): string {
  return `(${gap(g)}${text}${gap(g)})`;
}

function simple(g: Gen, t: NameTree<Path>): string {
  let text: string;
  switch (t.type) {
    case 'leaf':
      text = spellPath(g, t.value);
      break;
    case 'neg':
      text = '~';
      break;
    case 'fail':
      text = '!';
      break;
    case 'empty':
      text = '$';
      break;
    default:
      return paren(g, spellTree(g, t));
  }
  return g(fc.integer, { min: 0, max: 5 }) === 0 ? paren(g, text) : text;
}

/** A tree1: a union, or a simple that may carry a weight the parser drops. */
function tree1(g: Gen, t: NameTree<Path>): string {
  if (t.type === 'union') return t.trees.map((w) => weighted(g, w.weight, w.tree)).join(`${gap(g)}&${gap(g)}`);
  if (t.type === 'alt') return paren(g, spellTree(g, t));
  return g(fc.integer, { min: 0, max: 4 }) === 0 ? weighted(g, g(fc.integer, { min: 0, max: 9 }), t) : simple(g, t);
}

export function spellTree(g: Gen, t: NameTree<Path>): string {
  if (t.type !== 'alt') return tree1(g, t);
  return t.trees.map((m) => tree1(g, m)).join(`${gap(g)}|${gap(g)}`);
}

export function spellDtab(g: Gen, d: Dtab): string {
  const entries = d.dentries.map((e) => `${spellPrefix(g, e.prefix)}${gap(g)}=>${gap(g)}${spellTree(g, e.dst)}`);
  const trailing = entries.length > 0 && g(fc.boolean) ? `;${gap(g)}` : '';
  return `${gap(g)}${entries.join(`${gap(g)};${gap(g)}`)}${gap(g)}${trailing}`;
}
