/**
 * The `io.l5d.fs` namer (docs/namers.md#file-based-discovery; linkerd's `namer/fs` WatchingNamer):
 * file-based service discovery for development, tests and small static setups.
 * `<prefix>/<file>/<residual…>` binds to id `<prefix>/<file>` with the file's endpoints as its
 * Addr; directories nest, so `<prefix>/<dir>/<file>/…` binds to `<prefix>/<dir>/<file>`. A name
 * with no file is Neg, so a dtab can fall back from it; an empty file is a name with no endpoints,
 * which is not a fallback. The lookup follows the directory, so creating or deleting a file
 * re-binds without a restart.
 */
import { statSync } from 'node:fs';
import { isIP } from 'node:net';
import { join, resolve } from 'node:path';
import { NameTree } from '../dtab/name-tree.js';
import { Path } from '../dtab/path.js';
import { createError } from '../errors.js';
import { Activity } from '../naming/activity.js';
import { Addr, type Address } from '../naming/addr.js';
import { Bound } from '../naming/bound.js';
import type { Name, Namer } from '../naming/namer.js';
import { Var } from '../naming/var.js';
import { ENDPOINT_WEIGHT_META_KEY, type FileEndpoint, parseEndpoints } from './fs-endpoints.js';
import { InetResolver } from './inet-resolver.js';
import { type FileState, WatchedDir } from './watched-dir.js';

export interface FsNamerOptions {
  /** The directory whose files are the names; it must exist when the namer is made. */
  readonly rootDir: string;
  /** Where the namer is mounted: its ids start with it. Default `/#/io.l5d.fs`. */
  readonly prefix?: Path | string;
  /** Resolves host names in the files; default: a resolver of this namer's own. */
  readonly resolver?: InetResolver;
  /** How often watched directories are listed again in case fs.watch missed a change. Default 1000 ms. */
  readonly rescanMs?: number;
  /** Use fs.watch as well as re-scans (default true); turn off where it never fires (NFS). */
  readonly watch?: boolean;
  /** Files larger than this fail instead of being read. Default 500 KiB, as linkerd. */
  readonly maxFileBytes?: number;
}

export class FsNamer implements Namer {
  static readonly defaultPrefix: Path = Path.read('/#/io.l5d.fs');

  readonly prefix: Path;
  readonly rootDir: string;
  readonly #root: WatchedDir;
  readonly #resolver: InetResolver;
  readonly #active = { count: 0 };
  /** One Addr per file, shared by every name and residual that binds to it. */
  readonly #addrs = new Map<string, Var<Addr>>();

  constructor(options: FsNamerOptions) {
    this.rootDir = resolve(options.rootDir);
    // linkerd requires the directory at startup; a typo here would otherwise be Neg for every name.
    if (!isDirectory(this.rootDir))
      throw createError('SY_ERR_CONFIG_INVALID', [`io.l5d.fs rootDir ${this.rootDir} is not a directory`]);
    const rescanMs = options.rescanMs ?? 1000;
    if (!(rescanMs > 0)) throw createError('SY_ERR_CONFIG_INVALID', [`io.l5d.fs rescanMs must be > 0: ${rescanMs}`]);
    const { prefix = FsNamer.defaultPrefix } = options;
    this.prefix = typeof prefix === 'string' ? Path.read(prefix) : prefix;
    this.#resolver = options.resolver ?? new InetResolver();
    this.#root = new WatchedDir(this.rootDir, {
      rescanMs,
      watch: options.watch ?? true,
      maxFileBytes: options.maxFileBytes ?? 500 * 1024,
      active: this.#active,
    });
  }

  /** How many directories are being watched right now: zero whenever nothing observes this namer. */
  get watchedDirs(): number {
    return this.#active.count;
  }

  /** `path` is what follows the prefix: `/<file>/<residual…>` or `/<dir>/…/<file>/<residual…>`. */
  lookup(path: Path): Activity<NameTree<Name>> {
    return this.#lookupIn(this.#root, this.prefix, path);
  }

  #lookupIn(dir: WatchedDir, prefix: Path, path: Path): Activity<NameTree<Name>> {
    if (path.isEmpty) return Activity.value(NameTree.Neg);
    const head = path.take(1);
    // Only names the listing holds are ever joined onto a file path, so `..` cannot escape rootDir.
    const name = head.utf8Elems()[0]!;
    const id = prefix.concat(head);
    const residual = path.drop(1);
    return new Activity(dir.entry(name)).flatMap((kind): Activity<NameTree<Name>> => {
      if (kind === 'file') return Activity.value(NameTree.leaf(new Bound(this.#addr(dir, name), id, residual)));
      if (kind === 'dir') return this.#lookupIn(dir.child(name), id, residual);
      return Activity.value(NameTree.Neg);
    });
  }

  #addr(dir: WatchedDir, name: string): Var<Addr> {
    const file = join(dir.dir, name);
    let addr = this.#addrs.get(file);
    if (addr === undefined) {
      addr = dir.file(name).flatMap((state) => this.#fileAddr(file, state));
      this.#addrs.set(file, addr);
    }
    return addr;
  }

  #fileAddr(file: string, state: FileState): Var<Addr> {
    switch (state.type) {
      case 'pending':
        return Var.value(Addr.Pending);
      case 'missing':
        return Var.value(Addr.Neg);
      case 'failed':
        return Var.value(Addr.failed(state.error));
      case 'text': {
        const endpoints = parseEndpoints(state.text, file);
        return endpoints instanceof Error ? Var.value(Addr.failed(endpoints)) : this.#resolve(endpoints);
      }
    }
  }

  /**
   * IP literals are used as they are; host names go through the inet resolver, so they follow DNS
   * while observed. (linkerd resolves them once per read of the file, via InetSocketAddress.)
   */
  #resolve(endpoints: readonly FileEndpoint[]): Var<Addr> {
    const parts = endpoints.map((e) => {
      const meta = e.weight === undefined ? {} : { [ENDPOINT_WEIGHT_META_KEY]: e.weight };
      if (isIP(e.host) !== 0) return Var.value(Addr.bound([Addr.address(e.host, e.port, meta)]));
      return this.#resolver
        .resolve(e.host, e.port, false)
        .map((a) => (a.type === 'bound' ? Addr.bound(a.addresses.map((x) => ({ ...x, meta }))) : a));
    });
    return Var.collect(parts).map(mergeAddrs);
  }
}

/**
 * One Addr for the whole file: pending until every line has an answer; a host DNS does not know
 * adds nothing; a DNS failure fails the file only when no other line gave an address, since
 * serving the endpoints that are known beats serving none. The first of equal host:port wins.
 */
function mergeAddrs(parts: readonly Addr[]): Addr {
  const addresses: Address[] = [];
  const seen = new Set<string>();
  let failure: Addr | undefined;
  for (const part of parts) {
    if (part.type === 'pending') return Addr.Pending;
    if (part.type === 'failed') failure ??= part;
    if (part.type !== 'bound') continue;
    for (const a of part.addresses) {
      const key = `${a.host} ${a.port}`;
      if (seen.has(key)) continue;
      seen.add(key);
      addresses.push(a);
    }
  }
  return addresses.length === 0 && failure !== undefined ? failure : Addr.bound(addresses);
}

function isDirectory(dir: string): boolean {
  try {
    return statSync(dir).isDirectory();
  } catch {
    return false;
  }
}
