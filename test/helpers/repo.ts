/**
 * Locations inside the checkout, for tests that read files next to the code (vectors, sources,
 * the build output) rather than import them.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export const sharedVectorsFile = path.resolve(repoRoot, '../shared/specs/dtab-vectors.sample.json');
export const fixtureVectorsFile = path.resolve(repoRoot, 'test/fixtures/dtab-vectors.sample.json');

/** The shared spec's vectors when the workspace has them; CI's fresh clone falls back to the copy. */
export function vectorsFile(): string {
  return existsSync(sharedVectorsFile) ? sharedVectorsFile : fixtureVectorsFile;
}
