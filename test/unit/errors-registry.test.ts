/**
 * The error registry and its documentation stay in step (style rule 4, after fastify's
 * errors test): docs/errors.md has one `## SY_ERR_…` section per code in src/errors.ts, no
 * more and no fewer, quoting the registry's template and status. Adding a code without
 * documenting it fails here. The rest checks what every caller relies on: templates filled
 * in order, and `instanceof SwitchyardError` for every error the registry makes.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  createError,
  DtabSyntaxError,
  type ErrorCode,
  errorCodes,
  formatMessage,
  SwitchyardError,
} from '../../src/errors.js';
import { Dtab } from '../../src/index.js';

interface DocSection {
  readonly code: string;
  readonly body: string;
}

function docSections(): DocSection[] {
  const text = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
  const parts = text.split(/^## /m).slice(1);
  return parts.map((part) => {
    const newline = part.indexOf('\n');
    return { code: part.slice(0, newline).trim(), body: part.slice(newline + 1) };
  });
}

const codes = Object.keys(errorCodes) as ErrorCode[];

function placeholders(code: ErrorCode): number {
  return errorCodes[code].template.split('%s').length - 1;
}

describe('docs/errors.md', () => {
  const sections = docSections();
  const documented = sections.map((s) => s.code);

  it('documents every code in the registry', () => {
    expect(codes.filter((c) => !documented.includes(c))).toEqual([]);
  });

  it('documents no code that is not in the registry', () => {
    expect(documented.filter((c) => !(codes as string[]).includes(c))).toEqual([]);
  });

  it('has one section per code', () => {
    expect(new Set(documented).size).toBe(documented.length);
  });

  it.each(sections.filter((s) => s.code in errorCodes))('$code quotes its template and status', ({ code, body }) => {
    const spec = errorCodes[code as ErrorCode];
    expect(body).toContain(`- Message: \`${spec.template}\``);
    expect(body).toContain(`- HTTP status: ${spec.status}`);
    // Beyond the two quoted facts, a section says when the error happens.
    expect(body.replace(/^- .*$/gm, '').trim().length).toBeGreaterThan(40);
  });
});

describe('createError', () => {
  it.each(codes)('%s fills its template in order and carries code and status', (code) => {
    const args = Array.from({ length: placeholders(code) }, (_, i) => `arg${i}`);
    const error = createError(code, args);
    let i = 0;
    expect(error.message).toBe(errorCodes[code].template.replace(/%s/g, () => `arg${i++}`));
    expect(error.code).toBe(code);
    expect(error.status).toBe(errorCodes[code].status);
    expect(error.message).not.toContain('%s');
  });

  it('fills a template with several arguments, non-strings included', () => {
    expect(createError('SY_ERR_UNKNOWN_NAMER', ['io.example.nope', '/$/io.example.nope/x']).message).toBe(
      'Unknown namer: io.example.nope for path: /$/io.example.nope/x',
    );
    expect(createError('SY_ERR_BIND_MAX_DEPTH', [100]).message).toBe(
      'Max recursion level: 100 reached in Namer lookup',
    );
  });

  it('leaves a missing argument visible as %s', () => {
    expect(formatMessage('SY_ERR_NAMER_FAILED', ['k8s'])).toBe('Namer k8s failed: %s');
  });

  it('keeps the cause', () => {
    const cause = new Error('connection refused');
    expect(createError('SY_ERR_NAMER_FAILED', ['k8s', cause.message], cause).cause).toBe(cause);
    expect('cause' in createError('SY_ERR_USAGE', ['x'])).toBe(false);
  });
});

describe('SwitchyardError instanceof', () => {
  it.each(codes)('holds for %s', (code) => {
    const error = createError(code, []);
    expect(error).toBeInstanceOf(SwitchyardError);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('SwitchyardError');
  });

  it('holds for the syntax errors the parser throws', () => {
    let caught: unknown;
    try {
      Dtab.read('/a => /b ;\n/c => x');
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(DtabSyntaxError);
    expect(caught).toBeInstanceOf(SwitchyardError);
    expect(caught).toMatchObject({ code: 'SY_ERR_DTAB_SYNTAX', status: 400, line: 2, column: 7 });
  });

  it('holds for an error from another copy of the package, recognised by its brand', () => {
    const foreign = Object.assign(new Error('from elsewhere'), { [Symbol.for('switchyard.error')]: true });
    expect(foreign).toBeInstanceOf(SwitchyardError);
    expect(foreign).not.toBeInstanceOf(DtabSyntaxError);
  });

  it('does not hold for ordinary errors', () => {
    expect(new Error('plain')).not.toBeInstanceOf(SwitchyardError);
    expect(createError('SY_ERR_USAGE', ['x'])).not.toBeInstanceOf(DtabSyntaxError);
  });
});
