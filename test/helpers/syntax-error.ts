/**
 * Asserting on DtabSyntaxError: every parser failure must be one, and whatever the input, its
 * position must make sense (docs/dtab-language.md#syntax-errors).
 */
import { expect } from 'vitest';
import { DtabSyntaxError } from '../../src/index.js';

/** Runs `read(input)`, expects a DtabSyntaxError, checks its invariants and returns it. */
export function syntaxErrorOf(read: (text: string) => unknown, input: string): DtabSyntaxError {
  let thrown: unknown;
  try {
    read(input);
  } catch (e) {
    thrown = e;
  }
  expect(thrown, `expected ${JSON.stringify(input)} to be rejected`).toBeInstanceOf(DtabSyntaxError);
  const err = thrown as DtabSyntaxError;
  checkPosition(err, input);
  return err;
}

/** Line, column and offset agree with each other and with the input. */
export function checkPosition(err: DtabSyntaxError, input: string): void {
  expect(err.offset).toBeGreaterThanOrEqual(0);
  expect(err.offset).toBeLessThanOrEqual(input.length);
  const before = input.slice(0, err.offset);
  const lines = before.split('\n');
  expect(err.line).toBe(lines.length);
  expect(err.column).toBe([...lines[lines.length - 1]!].length + 1);
  if (err.offset === input.length) expect(err.found).toBe('end of input');
  else expect(err.found).not.toBe('end of input');
  expect(err.expected.length).toBeGreaterThan(0);
  expect(err.message).toContain(`line ${err.line}, column ${err.column}`);
}
