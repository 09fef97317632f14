/**
 * The namer contract run against `io.l5d.fs` (docs/namers.md#file-based-discovery) with a real
 * temporary directory: a name is a file, making it known writes the file, updating rewrites it in
 * place (the plain `echo > file` an operator types), removing deletes it. The fs namer's own
 * behaviour (file format, nesting, atomic renames and symlink swaps, re-scans without fs.watch) is
 * tested in test/integration/fs-namer.test.ts and test/unit/fs-endpoints.test.ts.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FsNamer, Path } from '../../src/index.js';
import { type Endpoint, runNamerConformance } from './namer.conformance.js';

const lines = (addrs: readonly Endpoint[]) => addrs.map((a) => `${a.host} ${a.port}\n`).join('');

runNamerConformance('io.l5d.fs', async () => {
  const rootDir = await mkdtemp(join(tmpdir(), 'switchyard-fs-namer-'));
  const namer = new FsNamer({ rootDir });
  return {
    namer,
    prefix: namer.prefix,
    pathOf: (name) => Path.utf8(name),
    async makeKnown(name, addrs) {
      await writeFile(join(rootDir, name), lines(addrs));
      return Path.utf8(name);
    },
    async updateKnown(name, addrs) {
      await writeFile(join(rootDir, name), lines(addrs));
    },
    async removeKnown(name) {
      await rm(join(rootDir, name));
    },
    activeSources: () => namer.watchedDirs,
    async cleanup() {
      await rm(rootDir, { recursive: true, force: true });
    },
  };
});
