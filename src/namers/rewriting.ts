/**
 * linkerd's rewriting `/$/` namers (docs/namers.md#rewriting-namers; linkerd's
 * io/buoyant/{http,hostport}.scala): each turns a name into another, unbound path that binding then
 * continues with, or answers Neg when the name does not have the expected shape, so the dtab can
 * fall back. The typical use is `/svc => /$/io.buoyant.http.domainToPathPfx/grpc`, which makes
 * `/svc/web.default` into `/grpc/default/web`.
 */
import { NameTree } from '../dtab/name-tree.js';
import { Path } from '../dtab/path.js';
import { Activity } from '../naming/activity.js';
import type { Name, Namer } from '../naming/namer.js';

/** Coarse on purpose, as linkerd's: DNS names, IPv4 and IPv6 without brackets. */
const HOST = /^[A-Za-z0-9.:_-]+$/;
const METHOD = /^[A-Z]+$/;
/** The `port` of `host:port` must be a DNS label (RFC 1035/1123), as in Kubernetes' DNS_LABEL. */
const DNS_LABEL = /^[a-z0-9][-a-z0-9]*[a-z0-9]?$/;

type Rewrite = (args: string[]) => { elems: string[]; used: number } | null;

class RewritingNamer implements Namer {
  constructor(private readonly rewrite: Rewrite) {}

  lookup(path: Path): Activity<NameTree<Name>> {
    // The path is /$/<kind>/<args…>.
    const args = path.utf8Elems().slice(2);
    if (args.length === 0) return Activity.value(NameTree.Neg);
    const result = this.rewrite(args);
    if (result === null) return Activity.value(NameTree.Neg);
    try {
      return Activity.value(NameTree.leaf(Path.utf8(...result.elems).concat(path.drop(2 + result.used))));
    } catch (e) {
      // A host such as `a..b` splits into an empty element, which no Path may hold.
      return Activity.exception(e);
    }
  }
}

function dropPort(host: string): string {
  const i = host.indexOf(':');
  return i > 0 ? host.slice(0, i) : host;
}

function subdomain(domain: string, host: string): string | null {
  const suffix = `.${domain}`;
  const h = dropPort(host);
  return h.endsWith(suffix) && h.length > suffix.length ? h.slice(0, -suffix.length) : null;
}

/** Java's String.split drops trailing empty strings; `host:` is not `host` and an empty port. */
function hostColonPort(s: string): [string, string] | null {
  const parts = s.split(':');
  while (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
  if (parts.length !== 2) return null;
  const [host, port] = parts as [string, string];
  return DNS_LABEL.test(port) && port.length <= 63 ? [host, port] : null;
}

function reversedDomain(host: string): string[] {
  const parts = host.split('.');
  while (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
  return parts.reverse();
}

const rewrites: Record<string, Rewrite> = {
  'io.buoyant.http.anyMethod': ([m]) => (METHOD.test(m!) ? { elems: [], used: 1 } : null),
  'io.buoyant.http.anyMethodPfx': ([pfx, m]) => (m !== undefined && METHOD.test(m) ? { elems: [pfx!], used: 2 } : null),
  'io.buoyant.http.anyHost': ([h]) => (HOST.test(h!) ? { elems: [], used: 1 } : null),
  'io.buoyant.http.anyHostPfx': ([pfx, h]) => (h !== undefined && HOST.test(h) ? { elems: [pfx!], used: 2 } : null),
  'io.buoyant.http.subdomainOf': ([domain, host]) => {
    if (host === undefined || !HOST.test(domain!) || !HOST.test(host)) return null;
    const sub = subdomain(domain!, host);
    return sub === null ? null : { elems: [sub], used: 2 };
  },
  'io.buoyant.http.subdomainOfPfx': ([domain, pfx, host]) => {
    if (host === undefined || !HOST.test(domain!) || !HOST.test(host)) return null;
    const sub = subdomain(domain!, host);
    return sub === null ? null : { elems: [pfx!, sub], used: 3 };
  },
  'io.buoyant.http.domainToPath': ([h]) => (HOST.test(h!) ? { elems: reversedDomain(h!), used: 1 } : null),
  'io.buoyant.http.domainToPathPfx': ([pfx, h]) =>
    h !== undefined && HOST.test(h) ? { elems: [pfx!, ...reversedDomain(h)], used: 2 } : null,
  'io.buoyant.hostportPfx': ([pfx, hp]) => {
    const split = hp === undefined ? null : hostColonPort(hp);
    return split === null ? null : { elems: [pfx!, split[0], split[1]], used: 2 };
  },
  'io.buoyant.porthostPfx': ([pfx, hp]) => {
    const split = hp === undefined ? null : hostColonPort(hp);
    return split === null ? null : { elems: [pfx!, split[1], split[0]], used: 2 };
  },
};

export function rewritingNamers(): Map<string, Namer> {
  return new Map(Object.entries(rewrites).map(([kind, rewrite]) => [kind, new RewritingNamer(rewrite)]));
}
