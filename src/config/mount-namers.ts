/**
 * Turns the `namers:` configuration into namers mounted under `/#/<prefix>`, in config order
 * (the order the interpreter tries them). Shared by namerd and the router.
 */
import { Path } from '../dtab/path.js';
import { FsNamer } from '../namers/fs.js';
import type { MountedNamer } from '../naming/namer.js';
import type { NamerConfig } from './namer-config.js';

export function mountNamers(configs: readonly NamerConfig[]): MountedNamer[] {
  return configs.map((config) => {
    const prefix = Path.read(`/#${config.prefix}`);
    switch (config.kind) {
      case 'io.l5d.fs':
        return { prefix, namer: new FsNamer({ rootDir: config.rootDir, prefix }) };
    }
  });
}
