/**
 * Namespace names. They become URL segments, file names and Redis keys, so switchyard accepts
 * only a safe alphabet: letters, digits, `.`, `_` and `-`, starting with a letter or digit (which
 * rules out `.` and `..`), at most 128 characters. namerd itself let `%2e%2e/foo` through and
 * paid for it (linkerd#1733).
 */
import { createError } from '../errors.js';

export const MAX_NAMESPACE_LENGTH = 128;
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** Why a name is not acceptable, or null when it is. */
export function namespaceProblem(ns: string): string | null {
  if (ns.length === 0) return 'the name is empty';
  if (ns.length > MAX_NAMESPACE_LENGTH) return `the name is longer than ${MAX_NAMESPACE_LENGTH} characters`;
  if (/[\x00-\x1f\x7f]/.test(ns)) return 'the name contains a control character';
  if (ns.includes('/')) return "the name contains '/'";
  if (!NAME.test(ns)) return 'use letters, digits, ".", "_" and "-", starting with a letter or digit';
  return null;
}

export function assertNamespace(ns: string): void {
  const problem = namespaceProblem(ns);
  if (problem !== null) throw createError('SY_ERR_NAMESPACE_INVALID', [JSON.stringify(ns), problem]);
}
