/**
 * Loads shared/specs/dtab-vectors.sample.json: the shared copy when it sits beside the repo (a
 * developer checkout), else the copy in test/fixtures (a fresh CI clone has no ../shared).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const shared = join(repo, '..', 'shared', 'specs', 'dtab-vectors.sample.json');
const fixture = join(repo, 'test', 'fixtures', 'dtab-vectors.sample.json');

// biome-ignore lint/suspicious/noExplicitAny: vector cases are heterogeneous JSON.
export type VectorCase = Record<string, any>;

export function loadVectors(): Record<string, VectorCase[]> {
  const file = existsSync(shared) ? shared : fixture;
  return JSON.parse(readFileSync(file, 'utf8'));
}
