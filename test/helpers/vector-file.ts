/** Loads the dtab test vectors (see vectorsFile in repo.ts). */
import { readFileSync } from 'node:fs';
import { vectorsFile } from './repo.js';

// biome-ignore lint/suspicious/noExplicitAny: vector cases are heterogeneous JSON.
export type VectorCase = Record<string, any>;

export function loadVectors(): Record<string, VectorCase[]> {
  return JSON.parse(readFileSync(vectorsFile(), 'utf8'));
}
