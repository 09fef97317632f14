/**
 * Identifiers turn a request into the logical name it is routed by (docs/router.md#identifiers): by
 * default the Host header as one element under `/svc`, as linkerd's `io.l5d.header.token`. Several
 * may be configured; the first that names the request wins. Names are cached by the header value,
 * so the common case allocates nothing per request. Each kind is written once, against the
 * protocol-blind RequestHead: Host is the head's authority (Host or h2's `:authority`), the path
 * its `path`, and any other header is found by scanning the head's flat header list.
 */
import type { IdentifierSetting } from '../../config/router-config.js';
import { Path } from '../../dtab/path.js';
import type { RequestHead } from './exchange.js';

export type IdentifierConfig = IdentifierSetting;

/** A name, plus the URL to forward when the identifier consumed part of it. */
export interface Identified {
  readonly name: Path;
  readonly url?: string;
}

/** Returns a name, or a string saying why the request could not be named. */
export type Identifier = (head: RequestHead) => Identified | string;

const CACHE_LIMIT = 10_000;

/** A bounded memo: cleared when full, which is cheaper than LRU bookkeeping per request. */
class NameCache {
  readonly #map = new Map<string, Identified>();
  get(key: string, make: () => Identified): Identified {
    let hit = this.#map.get(key);
    if (hit === undefined) {
      if (this.#map.size >= CACHE_LIMIT) this.#map.clear();
      hit = make();
      this.#map.set(key, hit);
    }
    return hit;
  }
}

/**
 * The first value of a header (`header` lower-case). Host is the authority the adapter already
 * read (h2 has no Host header, only `:authority`); anything else is a scan of the flat list,
 * ruling names out by length before lower-casing them.
 */
export function headerValue(head: RequestHead, header: string): string | undefined {
  if (header === 'host' || header === ':authority') return head.authority;
  const list = head.headers;
  const n = header.length;
  for (let i = 0; i < list.length; i += 2) {
    const name = list[i]!;
    if (name.length === n && (name === header || name.toLowerCase() === header)) return list[i + 1];
  }
  return undefined;
}

function one(config: IdentifierConfig, prefix: Path): Identifier {
  switch (config.kind) {
    case 'io.l5d.header.token': {
      const header = config.header.toLowerCase();
      const cache = new NameCache();
      return (head) => {
        const value = headerValue(head, header);
        if (value === undefined || value === '') return `no ${config.header} header`;
        // The value is one element, verbatim: `web:8080` stays `web:8080`.
        return cache.get(value, () => ({ name: prefix.concat(Path.utf8(value)) }));
      };
    }
    case 'io.l5d.methodAndHost': {
      const cache = new NameCache();
      return (head) => {
        const method = head.method;
        if (head.http10) return cache.get(`1.0 ${method}`, () => ({ name: prefix.concat(Path.utf8('1.0', method)) }));
        const host = head.authority;
        if (host === undefined || host === '') return 'no Host header';
        const key = `1.1 ${method} ${host}`;
        return cache.get(key, () => ({ name: prefix.concat(Path.utf8('1.1', method, host.toLowerCase())) }));
      };
    }
    case 'io.l5d.path':
      return onlyGrpc(config.grpcOnly, pathIdentifier(prefix, config.segments, config.consume));
    // linkerd's name for the same reading of `:path`, used for gRPC (`/proto.GenSvc/Gen` names
    // `/svc/proto.GenSvc` with one segment); it never consumes.
    case 'io.l5d.header.path':
      return onlyGrpc(config.grpcOnly, pathIdentifier(prefix, config.segments, false));
    case 'io.l5d.header': {
      const header = config.header.toLowerCase();
      const cache = new Map<string, Identified | string>();
      return (head) => {
        const value = headerValue(head, header);
        if (value === undefined || value === '') return `no ${config.header} header`;
        let hit = cache.get(value);
        if (hit === undefined) {
          try {
            hit = { name: prefix.concat(Path.read(value)) };
          } catch (e) {
            hit = `the ${config.header} header is not a path: ${(e as Error).message}`;
          }
          if (cache.size >= CACHE_LIMIT) cache.clear();
          cache.set(value, hit);
        }
        return hit;
      };
    }
    case 'io.l5d.static': {
      const identified = { name: prefix.concat(Path.read(config.path)) };
      return () => identified;
    }
  }
}

/**
 * With `grpcOnly`, a request that is not a gRPC call (its content-type does not start with
 * `application/grpc`) is left to the next identifier: one port then names gRPC calls by service
 * and a browser's or curl's HTTP request by Host, as linkerd did with an h2 and an http router.
 */
function onlyGrpc(grpcOnly: boolean, identify: Identifier): Identifier {
  if (!grpcOnly) return identify;
  return (head) => {
    const type = headerValue(head, 'content-type');
    if (type === undefined || !type.toLowerCase().startsWith('application/grpc')) return 'not a gRPC call';
    return identify(head);
  };
}

/** The first `count` segments of the request path; with `consume` the rest is what is forwarded. */
function pathIdentifier(prefix: Path, count: number, consume: boolean): Identifier {
  // Keyed by the text of the first `count` segments: the name is made once per distinct prefix.
  const names = new Map<string, Identified>();
  return (head) => {
    const url = head.path;
    const q = url.indexOf('?');
    const pathPart = q === -1 ? url : url.slice(0, q);
    const end = segmentsEnd(pathPart, count);
    if (end < 0) return `the path has fewer than ${count} segments`;
    const key = pathPart.slice(0, end);
    let named = names.get(key);
    if (named === undefined) {
      const segments = key.split('/').filter((s) => s !== '');
      named = { name: prefix.concat(Path.utf8(...segments.map(decodeSegment))) };
      if (names.size >= CACHE_LIMIT) names.clear();
      names.set(key, named);
    }
    if (!consume) return named;
    const segments = pathPart.split('/').filter((s) => s !== '');
    const rest = `/${segments.slice(count).join('/')}`;
    return { name: named.name, url: q === -1 ? rest : `${rest}${url.slice(q)}` };
  };
}

/** Where the `count`-th non-empty `/`-separated segment of `path` ends; -1 when it has fewer. */
function segmentsEnd(path: string, count: number): number {
  let seen = 0;
  let i = 0;
  const n = path.length;
  while (seen < count) {
    while (i < n && path.charCodeAt(i) === 47) i++;
    if (i >= n) return -1;
    while (i < n && path.charCodeAt(i) !== 47) i++;
    seen++;
  }
  return i;
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** Tries each identifier in order; the reasons of all that failed are joined when none names the request. */
export function buildIdentifier(configs: readonly IdentifierConfig[], prefix: Path): Identifier {
  const all = configs.map((c) => one(c, prefix));
  if (all.length === 1) return all[0]!;
  return (head) => {
    const reasons: string[] = [];
    for (const identify of all) {
      const r = identify(head);
      if (typeof r !== 'string') return r;
      reasons.push(r);
    }
    return reasons.join('; ');
  };
}
