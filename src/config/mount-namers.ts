/**
 * Turns the `namers:` configuration into namers mounted under `/#/<prefix>`, in config order
 * (the order the interpreter tries them). Shared by namerd and the router. This is the config
 * loader's side of the Kubernetes namer, so it is what hands it the process environment (for
 * in-cluster detection); namers that hold connections are closed through closeNamers.
 */
import { Path } from '../dtab/path.js';
import { FsNamer } from '../namers/fs.js';
import { K8sNamer } from '../namers/k8s/k8s-namer.js';
import type { K8sLogger } from '../namers/k8s/reflector.js';
import type { MountedNamer } from '../naming/namer.js';
import type { K8sNamerConfig, NamerConfig } from './namer-config.js';

export function mountNamers(configs: readonly NamerConfig[], logger?: K8sLogger): MountedNamer[] {
  return configs.map((config): MountedNamer => mount(config, Path.read(`/#${config.prefix}`), logger));
}

/** Stops what mounted namers run in the background (the Kubernetes namer's watches and connections). */
export async function closeNamers(namers: readonly MountedNamer[]): Promise<void> {
  await Promise.all(namers.map((m) => (m.namer instanceof K8sNamer ? m.namer.close() : undefined)));
}

function mount(config: NamerConfig, prefix: Path, logger: K8sLogger | undefined): MountedNamer {
  switch (config.kind) {
    case 'io.l5d.fs':
      return { prefix, namer: new FsNamer({ rootDir: config.rootDir, prefix }) };
    case 'io.l5d.k8s':
      return { prefix, namer: k8sNamer(config, prefix, logger) };
  }
}

function k8sNamer(config: K8sNamerConfig, prefix: Path, logger: K8sLogger | undefined): K8sNamer {
  const { kind: _kind, prefix: _prefix, inactivityMs, backoffMinMs, backoffMaxMs, ...settings } = config;
  const timing = {
    ...(inactivityMs !== undefined ? { inactivityMs } : {}),
    ...(backoffMinMs !== undefined ? { backoffMinMs } : {}),
    ...(backoffMaxMs !== undefined ? { backoffMaxMs } : {}),
  };
  return new K8sNamer({ ...settings, prefix, timing, env: process.env, ...(logger ? { logger } : {}) });
}
