/**
 * Where the Kubernetes API is and how to prove who we are (docs/k8s-namer.md#reaching-the-api), in
 * the order a person would expect: an explicit URL (`--k8s-api`, e.g. a `kubectl proxy`), linkerd's
 * `host`/`port`, a kubeconfig's current context (token, token file, client cert, or an `exec`
 * credential plugin: exec-credential.ts), the in-cluster service account (`KUBERNETES_SERVICE_HOST`
 * and `_PORT`, with the token and CA from the mounted secrets directory), and last linkerd's
 * default, `http://localhost:8001`. Projected tokens rotate, so a token file is read again once it
 * is a minute old and after any 401; the environment and the secrets directory are parameters so
 * tests can stand in for a pod. Problems are config errors, found before any port is bound.
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';

import { createError } from '../../errors.js';
import type { ApiConnection, TokenSource } from './api-client.js';
import { type ExecClusterInfo, execCredentialSource, parseExecConfig } from './exec-credential.js';

/** A kubeconfig is read once at start; load the YAML parser only then (~9 MB a router need not carry). */
function parseYaml(text: string): unknown {
  return (createRequire(import.meta.url)('yaml') as { parse: (t: string) => unknown }).parse(text);
}

export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

export interface ApiSettings {
  /** A full URL; wins over everything else. */
  readonly apiUrl?: string;
  /** linkerd's form: plain HTTP to host:port. */
  readonly host?: string;
  readonly port?: number;
  /** A kubeconfig file; its current context (or `context`) is used. */
  readonly kubeconfig?: string;
  readonly context?: string;
  /** Where the in-cluster token, ca.crt and namespace are (default the standard mount). */
  readonly serviceAccountDir?: string;
  /** How old a token read from a file may get before it is read again. Default 60 s. */
  readonly tokenRefreshMs?: number;
}

type Env = Readonly<Record<string, string | undefined>>;

export function resolveApiConnection(settings: ApiSettings, env: Env = {}): ApiConnection {
  const refreshMs = settings.tokenRefreshMs ?? 60_000;
  if (settings.apiUrl !== undefined) return { server: checkUrl(settings.apiUrl) };
  if (settings.host !== undefined || settings.port !== undefined)
    return { server: `http://${joinHostPort(settings.host ?? 'localhost', settings.port ?? 8001)}` };
  if (settings.kubeconfig !== undefined) return fromKubeconfig(settings.kubeconfig, settings.context, refreshMs);
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  if (host && port) {
    const dir = settings.serviceAccountDir ?? SERVICE_ACCOUNT_DIR;
    return {
      server: `https://${joinHostPort(host, port)}`,
      ca: readConfigFile(resolve(dir, 'ca.crt'), 'the in-cluster CA'),
      token: fileToken(resolve(dir, 'token'), refreshMs),
    };
  }
  return { server: 'http://localhost:8001' };
}

/** Re-reads the file once the copy in hand is `refreshMs` old, or after invalidate(). */
export function fileToken(file: string, refreshMs: number, now: () => number = Date.now): TokenSource {
  let value: string | undefined;
  let readAt = Number.NEGATIVE_INFINITY;
  return {
    async get() {
      if (now() - readAt >= refreshMs) {
        try {
          value = (await readFile(file, 'utf8')).trim();
          readAt = now();
        } catch {
          // Keep the last token: the kubelet swaps the file by symlink and a read can land in between.
          readAt = value === undefined ? Number.NEGATIVE_INFINITY : now();
        }
      }
      return value;
    },
    invalidate() {
      readAt = Number.NEGATIVE_INFINITY;
    },
  };
}

export function staticToken(token: string): TokenSource {
  return { get: async () => token, invalidate() {} };
}

function joinHostPort(host: string, port: string | number): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`;
}

function checkUrl(text: string): string {
  if (!/^https?:\/\/[^/]+/.test(text))
    throw createError('SY_ERR_CONFIG_INVALID', [` io.l5d.k8s: the API URL must be http(s)://host:port, got ${text}`]);
  return text;
}

function readConfigFile(file: string, what: string): Buffer {
  try {
    return readFileSync(file);
  } catch (e) {
    throw createError('SY_ERR_CONFIG_INVALID', [` io.l5d.k8s: cannot read ${what} ${file}: ${(e as Error).message}`]);
  }
}

type Raw = Record<string, unknown>;
const isRaw = (v: unknown): v is Raw => typeof v === 'object' && v !== null && !Array.isArray(v);

/** One named entry of a kubeconfig list (`clusters`, `users`, `contexts`). */
function named(doc: Raw, list: string, name: unknown, file: string): Raw {
  const entries = Array.isArray(doc[list]) ? (doc[list] as unknown[]) : [];
  const entry = entries.find((e) => isRaw(e) && e.name === name) as Raw | undefined;
  const body = entry?.[list.slice(0, -1)];
  if (!isRaw(body)) throw kubeconfigError(file, `no ${list.slice(0, -1)} named ${JSON.stringify(name)}`);
  return body;
}

function kubeconfigError(file: string, problem: string) {
  return createError('SY_ERR_CONFIG_INVALID', [` io.l5d.k8s: kubeconfig ${file}: ${problem}`]);
}

/** The current context's cluster (server, CA) and user (token, token file, or client certificate). */
function fromKubeconfig(file: string, contextName: string | undefined, refreshMs: number): ApiConnection {
  let doc: unknown;
  try {
    doc = parseYaml(readFileSync(file, 'utf8'));
  } catch (e) {
    throw kubeconfigError(file, (e as Error).message.split('\n')[0]!);
  }
  if (!isRaw(doc)) throw kubeconfigError(file, 'not a YAML mapping');
  const base = dirname(resolve(file));
  const name = contextName ?? doc['current-context'];
  if (typeof name !== 'string' || name === '') throw kubeconfigError(file, 'no current-context');
  const context = named(doc, 'contexts', name, file);
  const cluster = named(doc, 'clusters', context.cluster, file);
  const user = context.user === undefined ? {} : named(doc, 'users', context.user, file);
  if (typeof cluster.server !== 'string') throw kubeconfigError(file, `cluster ${context.cluster} has no server`);
  // Paths in a kubeconfig are relative to the file itself, as kubectl reads them.
  const data = (raw: Raw, key: string, what: string): Buffer | undefined => {
    const inline = raw[`${key}-data`];
    if (typeof inline === 'string') return Buffer.from(inline, 'base64');
    const path = raw[key];
    return typeof path === 'string' ? readConfigFile(resolve(base, path), what) : undefined;
  };
  if (user['auth-provider'] !== undefined)
    throw kubeconfigError(file, 'auth-provider credentials are not supported; use exec, a token or a client cert');
  const ca = data(cluster, 'certificate-authority', 'the kubeconfig CA');
  const cert = data(user, 'client-certificate', 'the client certificate');
  const key = data(user, 'client-key', 'the client key');
  const token =
    user.exec !== undefined
      ? execToken(user.exec, cluster, ca, base, file)
      : typeof user.token === 'string'
        ? staticToken(user.token)
        : typeof user.tokenFile === 'string'
          ? fileToken(resolve(base, user.tokenFile), refreshMs)
          : undefined;
  return {
    server: checkUrl(cluster.server),
    ...(ca ? { ca } : {}),
    ...(cert ? { cert } : {}),
    ...(key ? { key } : {}),
    ...(cluster['insecure-skip-tls-verify'] === true ? { insecureSkipTlsVerify: true } : {}),
    ...(token ? { token } : {}),
  };
}

/** A credential plugin (`user.exec`), checked now and run at the first request. */
function execToken(raw: unknown, cluster: Raw, ca: Buffer | undefined, base: string, file: string): TokenSource {
  const exec = parseExecConfig(raw, base);
  if (Array.isArray(exec)) throw kubeconfigError(file, exec.join('; '));
  const extensions = Array.isArray(cluster.extensions) ? (cluster.extensions as unknown[]) : [];
  const execExtension = extensions.find((e) => isRaw(e) && e.name === 'client.authentication.k8s.io/exec');
  const info: ExecClusterInfo = {
    server: cluster.server as string,
    ...(ca ? { 'certificate-authority-data': ca.toString('base64') } : {}),
    ...(cluster['insecure-skip-tls-verify'] === true ? { 'insecure-skip-tls-verify': true } : {}),
    ...(typeof cluster['tls-server-name'] === 'string' ? { 'tls-server-name': cluster['tls-server-name'] } : {}),
    ...(isRaw(execExtension) && execExtension.extension !== undefined ? { config: execExtension.extension } : {}),
  };
  return execCredentialSource(exec, info);
}
