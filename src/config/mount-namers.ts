/**
 * Turns the `namers:` configuration into namers mounted under `/#/<prefix>`, in config order
 * (the order the interpreter tries them). Shared by namerd and the router.
 */
import { Path } from '../dtab/path.js';
import { FsNamer } from '../namers/fs.js';
import type { MountedNamer } from '../naming/namer.js';
import type { NamerConfig } from './namer-config.js';

export function mountNamers(configs: readonly NamerConfig[]): MountedNamer[] {
  return configs.map((config): MountedNamer => mount(config, Path.read(`/#${config.prefix}`)));
}

function mount(config: NamerConfig, prefix: Path): MountedNamer {
  // One kind so far; a new kind in NamerConfig must be handled here before this compiles.
  const kind: 'io.l5d.fs' = config.kind;
  switch (kind) {
    case 'io.l5d.fs':
      return { prefix, namer: new FsNamer({ rootDir: config.rootDir, prefix }) };
  }
}
