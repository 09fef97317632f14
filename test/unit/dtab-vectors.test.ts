/**
 * Every case of test/fixtures/dtab-vectors.sample.json for the algebra and the parser (Finagle's
 * and linkerd's own test cases; docs/architecture.md#test-vectors). The delegate, delegate_tree and
 * headers categories belong to the binding and router suites.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Dentry, Dtab, NameTree, Path, Prefix } from '../../src/index.js';
import { type Ast, toAst } from '../helpers/ast.js';
import { externalVectorsFile, fixtureVectorsFile, vectorsFile } from '../helpers/repo.js';
import { syntaxErrorOf } from '../helpers/syntax-error.js';

interface ParseCase {
  input: string;
  ok: boolean;
  show?: string;
  elems?: string[];
  ast?: Ast;
  prefix?: string;
  dst?: string;
  size?: number;
  error?: string;
  error_contains?: string;
}
interface EvalCase {
  input: string;
  eval: string[] | null;
  simplified: string;
  simplified_ast: Ast;
}
interface LookupCase {
  dtab: string;
  path: string;
  result: string;
  ast: Ast;
}
interface OpsCase {
  op: string;
  a: string;
  b: string;
  result: string;
}
interface Vectors {
  parse_path: ParseCase[];
  parse_prefix: ParseCase[];
  parse_tree: ParseCase[];
  parse_dentry: ParseCase[];
  parse_dtab: ParseCase[];
  eval: EvalCase[];
  lookup: LookupCase[];
  dtab_ops: OpsCase[];
}

const vectors = JSON.parse(readFileSync(vectorsFile(), 'utf8')) as Vectors;

const label = (c: { input: string; ok: boolean }) => `${c.ok ? 'accepts' : 'rejects'} ${JSON.stringify(c.input)}`;

/** Failing cases: a DtabSyntaxError with a sane position, and Finagle's bracketed excerpt when the vector names it. */
function checkRejected(read: (text: string) => unknown, c: ParseCase): void {
  const err = syntaxErrorOf(read, c.input);
  if (c.error_contains !== undefined) expect(err.excerpt).toBe(c.error_contains.replace(/^'|'$/g, ''));
}

/** Prefix elements as the vectors spell them: `*` for AnyElem. */
function prefixElems(p: Prefix): string[] {
  return p.elems.map((e) => (typeof e === 'string' ? e : '*'));
}

describe('vectors file', () => {
  it('has every category this suite runs, each non-empty', () => {
    for (const key of ['parse_path', 'parse_prefix', 'parse_tree', 'parse_dentry', 'parse_dtab', 'eval', 'lookup']) {
      expect(vectors[key as keyof Vectors].length, key).toBeGreaterThan(0);
    }
    expect(vectors.dtab_ops.length).toBeGreaterThan(0);
  });

  // Compared as data: the copy is formatted by biome like every other file under test/.
  it.skipIf(externalVectorsFile === undefined)('the copy in test/fixtures matches $SWITCHYARD_DTAB_VECTORS', () => {
    const copy: unknown = JSON.parse(readFileSync(fixtureVectorsFile, 'utf8'));
    expect(copy, 'refresh test/fixtures/dtab-vectors.sample.json').toEqual(
      JSON.parse(readFileSync(externalVectorsFile!, 'utf8')),
    );
  });
});

describe('parse_path', () => {
  it.each(vectors.parse_path.map((c) => [label(c), c] as const))('%s', (_, c) => {
    if (!c.ok) return checkRejected(Path.read, c);
    const p = Path.read(c.input);
    expect(p.show()).toBe(c.show);
    expect(p.elems).toEqual(c.elems);
    expect(p.size).toBe(c.elems!.length);
    expect(Path.read(p.show()).equals(p)).toBe(true);
  });
});

describe('parse_prefix', () => {
  it.each(vectors.parse_prefix.map((c) => [label(c), c] as const))('%s', (_, c) => {
    if (!c.ok) return checkRejected(Prefix.read, c);
    const p = Prefix.read(c.input);
    expect(p.show()).toBe(c.show);
    expect(prefixElems(p)).toEqual(c.elems);
    expect(p.size).toBe(c.elems!.length);
    expect(Prefix.read(p.show()).equals(p)).toBe(true);
  });
});

describe('parse_tree', () => {
  it.each(vectors.parse_tree.map((c) => [label(c), c] as const))('%s', (_, c) => {
    if (!c.ok) return checkRejected(NameTree.read, c);
    const t = NameTree.read(c.input);
    expect(NameTree.show(t)).toBe(c.show);
    expect(toAst(t)).toEqual(c.ast);
    expect(NameTree.equals(NameTree.read(NameTree.show(t)), t)).toBe(true);
  });
});

describe('parse_dentry', () => {
  it.each(vectors.parse_dentry.map((c) => [label(c), c] as const))('%s', (_, c) => {
    if (!c.ok) return checkRejected(Dentry.read, c);
    const d = Dentry.read(c.input);
    expect(d.show()).toBe(c.show);
    expect(d.prefix.show()).toBe(c.prefix);
    expect(NameTree.show(d.dst)).toBe(c.dst);
    expect(Dentry.read(d.show()).equals(d)).toBe(true);
  });
});

describe('parse_dtab', () => {
  it.each(vectors.parse_dtab.map((c) => [label(c), c] as const))('%s', (_, c) => {
    if (!c.ok) return checkRejected(Dtab.read, c);
    const d = Dtab.read(c.input);
    expect(d.show()).toBe(c.show);
    expect(d.size).toBe(c.size);
    expect(d.dentries).toHaveLength(c.size!);
    expect(Dtab.read(d.show()).equals(d)).toBe(true);
  });
});

describe('eval', () => {
  it.each(vectors.eval.map((c) => [c.input, c] as const))('%s', (_, c) => {
    const t = NameTree.read(c.input);
    const result = NameTree.evaluate(t);
    // Finagle's eval is a Set: compare ignoring order.
    expect(result === null ? null : result.map((p) => p.show()).sort()).toEqual(
      c.eval === null ? null : [...c.eval].sort(),
    );
    const s = NameTree.simplify(t);
    expect(NameTree.show(s)).toBe(c.simplified);
    expect(toAst(s)).toEqual(c.simplified_ast);
    // simplify is a fixpoint and preserves evaluation.
    expect(NameTree.equals(NameTree.simplify(s), s)).toBe(true);
    expect(
      NameTree.evaluate(s)
        ?.map((p) => p.show())
        .sort() ?? null,
    ).toEqual(result?.map((p) => p.show()).sort() ?? null);
  });
});

describe('lookup', () => {
  it.each(vectors.lookup.map((c) => [`${c.dtab} @ ${c.path}`, c] as const))('%s', (_, c) => {
    const t = Dtab.read(c.dtab).lookup(Path.read(c.path));
    expect(NameTree.show(t)).toBe(c.result);
    expect(toAst(t)).toEqual(c.ast);
  });
});

const OPS: Record<string, (a: Dtab, b: Dtab) => Dtab> = {
  concat: (a, b) => a.concat(b),
  stripPrefix: (a, b) => a.stripPrefix(b),
};

describe('dtab_ops', () => {
  it.each(vectors.dtab_ops.map((c) => [`${c.op}(${JSON.stringify(c.a)}, ${JSON.stringify(c.b)})`, c] as const))(
    '%s',
    (_, c) => {
      const op = OPS[c.op];
      if (op === undefined) throw new Error(`unknown dtab op ${c.op}`);
      const result = op(Dtab.read(c.a), Dtab.read(c.b));
      expect(result.show()).toBe(c.result);
      expect(result.equals(Dtab.read(c.result))).toBe(true);
    },
  );
});
