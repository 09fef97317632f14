/**
 * Locations inside the checkout, for tests that read files next to the code (vectors, sources,
 * the build output) rather than import them.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** The dtab test vectors (docs/architecture.md#test-vectors). */
export const fixtureVectorsFile = path.resolve(repoRoot, 'test/fixtures/dtab-vectors.sample.json');

/**
 * A newer copy of the vectors to check against, when a maintainer has one
 * (`SWITCHYARD_DTAB_VECTORS=FILE npm test`): the suites then run its cases, and a test says
 * whether the fixture needs refreshing.
 */
export const externalVectorsFile: string | undefined = process.env.SWITCHYARD_DTAB_VECTORS || undefined;

export function vectorsFile(): string {
  return externalVectorsFile ?? fixtureVectorsFile;
}
