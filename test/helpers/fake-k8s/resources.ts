/**
 * The resources the fake serves and the discovery documents that describe them, enough for
 * `kubectl get` (docs/k8s-namer.md#the-fake-api-server): kubectl first probes `/version`, then
 * `/api` and `/apis` (and fails with "couldn't get current server API group list" without them),
 * then the group versions' resource lists to map `endpointslices` to its URL.
 */

export interface Resource {
  /** The plural in URLs. */
  readonly name: string;
  readonly kind: string;
  /** `''` for the core group. */
  readonly group: string;
  readonly version: string;
  readonly shortNames?: readonly string[];
}

export const RESOURCES: readonly Resource[] = [
  { name: 'services', kind: 'Service', group: '', version: 'v1', shortNames: ['svc'] },
  { name: 'endpoints', kind: 'Endpoints', group: '', version: 'v1', shortNames: ['ep'] },
  { name: 'endpointslices', kind: 'EndpointSlice', group: 'discovery.k8s.io', version: 'v1' },
  // Pods are listed and deleted by chaos experiments (kill-pod); see pods.ts.
  { name: 'pods', kind: 'Pod', group: '', version: 'v1', shortNames: ['po'] },
];

export const apiVersionOf = (r: Resource) => (r.group === '' ? r.version : `${r.group}/${r.version}`);

/** Maps a request path to its resource, namespace and object name; undefined for anything else. */
export function routeOf(
  path: string,
  served: readonly Resource[],
): { resource: Resource; namespace?: string; name?: string } | undefined {
  const m =
    /^\/api\/v1\/(?:namespaces\/([^/]+)\/)?([^/]+)(?:\/([^/]+))?$/.exec(path) ??
    /^\/apis\/([^/]+)\/([^/]+)\/(?:namespaces\/([^/]+)\/)?([^/]+)(?:\/([^/]+))?$/.exec(path);
  if (!m) return undefined;
  const [group, version, namespace, plural, name] = path.startsWith('/api/v1/')
    ? ['', 'v1', m[1], m[2], m[3]]
    : [m[1], m[2], m[3], m[4], m[5]];
  const resource = served.find((r) => r.group === group && r.version === version && r.name === plural);
  if (resource === undefined) return undefined;
  return { resource, ...(namespace ? { namespace } : {}), ...(name ? { name } : {}) };
}

const VERBS = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'];

function resourceList(groupVersion: string, served: readonly Resource[]) {
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion,
    resources: served
      .filter((r) => apiVersionOf(r) === groupVersion)
      .map((r) => ({
        name: r.name,
        singularName: r.kind.toLowerCase(),
        namespaced: true,
        kind: r.kind,
        verbs: VERBS,
        ...(r.shortNames ? { shortNames: r.shortNames } : {}),
      })),
  };
}

/** The discovery document for `path`, or undefined when `path` is not a discovery URL. */
export function discovery(path: string, served: readonly Resource[]): unknown {
  const groups = [...new Set(served.filter((r) => r.group !== '').map((r) => r.group))];
  switch (path) {
    case '/version':
      return {
        major: '1',
        minor: '33',
        gitVersion: 'v1.33.0-fake',
        gitCommit: 'fake',
        gitTreeState: 'clean',
        buildDate: '2025-04-23T00:00:00Z',
        goVersion: 'go1.24.0',
        compiler: 'gc',
        platform: 'linux/amd64',
      };
    case '/api':
      return {
        kind: 'APIVersions',
        versions: ['v1'],
        serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1' }],
      };
    case '/apis':
      return {
        kind: 'APIGroupList',
        apiVersion: 'v1',
        groups: groups.map((name) => {
          const gv = { groupVersion: `${name}/v1`, version: 'v1' };
          return { name, versions: [gv], preferredVersion: gv };
        }),
      };
    case '/api/v1':
      return resourceList('v1', served);
  }
  const m = /^\/apis\/([^/]+)\/([^/]+)$/.exec(path);
  if (m && groups.includes(m[1]!)) return resourceList(`${m[1]}/${m[2]}`, served);
  if (m === null && /^\/apis\/([^/]+)$/.test(path)) {
    const name = path.slice('/apis/'.length);
    if (!groups.includes(name)) return undefined;
    const gv = { groupVersion: `${name}/v1`, version: 'v1' };
    return { kind: 'APIGroup', apiVersion: 'v1', name, versions: [gv], preferredVersion: gv };
  }
  return undefined;
}
