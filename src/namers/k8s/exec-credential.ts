/**
 * Kubeconfig `exec` credentials: client-go's credential plugin protocol, as EKS
 * (`aws eks get-token`), GKE (`gke-gcloud-auth-plugin`) and AKS (`kubelogin`) kubeconfigs use it.
 * The plugin is a command run with the kubeconfig's args and env plus `KUBERNETES_EXEC_INFO`
 * (an ExecCredential request: API version, `interactive: false`, and the cluster when
 * `provideClusterInfo` asks for it); it prints an ExecCredential whose status carries a bearer
 * token and/or a client certificate and key, with an optional expiry. The answer is kept until
 * that expiry (a second early, so no request leaves with a dying token), or until the API says
 * 401; then the plugin runs again. Concurrent requests share one run.
 *
 * A plugin is somebody else's program: each run is bounded in time and in what it may print,
 * and every failure says which command failed and how (with the kubeconfig's installHint when
 * the command is missing).
 */
import { spawn } from 'node:child_process';
import { isAbsolute, resolve } from 'node:path';
import { createError, type SwitchyardError } from '../../errors.js';
import type { TokenSource } from './api-client.js';

export const EXEC_API_VERSIONS = ['client.authentication.k8s.io/v1', 'client.authentication.k8s.io/v1beta1'] as const;
export type ExecApiVersion = (typeof EXEC_API_VERSIONS)[number];

/** The `user.exec` block of a kubeconfig, checked. */
export interface ExecConfig {
  readonly apiVersion: ExecApiVersion;
  /** As written; a relative path with a slash in it is taken from the kubeconfig's directory. */
  readonly command: string;
  readonly args: readonly string[];
  readonly env: readonly { readonly name: string; readonly value: string }[];
  readonly interactiveMode: 'Never' | 'IfAvailable' | 'Always';
  readonly provideClusterInfo: boolean;
  readonly installHint?: string;
}

/** What the plugin is told about the cluster when `provideClusterInfo: true`. */
export interface ExecClusterInfo {
  readonly server: string;
  readonly 'certificate-authority-data'?: string;
  readonly 'insecure-skip-tls-verify'?: boolean;
  readonly 'tls-server-name'?: string;
  readonly config?: unknown;
}

export interface ExecOptions {
  /** Longest a run may take before it is killed. Default 30 s. */
  readonly timeoutMs?: number;
  /** Most a plugin may print on stdout. Default 1 MiB. */
  readonly maxOutputBytes?: number;
  /** The environment the plugin inherits (the kubeconfig's env entries go on top). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly now?: () => number;
}

/** A run's answer: what the API client sends, and until when it holds. */
interface Credential {
  readonly token?: string;
  readonly cert?: string;
  readonly key?: string;
  readonly expiresAt: number;
}

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_MAX_OUTPUT = 1 << 20;
const STDERR_KEPT = 2048;
/** A token this close to its expiry is renewed before use. */
const EXPIRY_MARGIN_MS = 1_000;

type Raw = Record<string, unknown>;
const isRaw = (v: unknown): v is Raw => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Checks a kubeconfig's `exec` block; every problem is listed. `base` is the kubeconfig's directory. */
export function parseExecConfig(raw: unknown, base: string): ExecConfig | string[] {
  if (!isRaw(raw)) return ['exec must be a mapping'];
  const problems: string[] = [];
  const apiVersion = raw.apiVersion;
  if (!EXEC_API_VERSIONS.includes(apiVersion as ExecApiVersion))
    problems.push(`exec.apiVersion must be one of ${EXEC_API_VERSIONS.join(', ')}, got ${JSON.stringify(apiVersion)}`);
  if (typeof raw.command !== 'string' || raw.command === '') problems.push('exec.command must be a non-empty string');
  const args = raw.args ?? [];
  if (!Array.isArray(args) || args.some((a) => typeof a !== 'string'))
    problems.push('exec.args must be a list of strings');
  const env = raw.env ?? [];
  if (!Array.isArray(env) || env.some((e) => !isRaw(e) || typeof e.name !== 'string' || typeof e.value !== 'string'))
    problems.push('exec.env must be a list of {name, value} strings');
  const mode = raw.interactiveMode ?? 'IfAvailable';
  if (mode !== 'Never' && mode !== 'IfAvailable' && mode !== 'Always')
    problems.push(`exec.interactiveMode must be Never, IfAvailable or Always, got ${JSON.stringify(mode)}`);
  // A server has no terminal to ask anyone anything: a plugin that insists cannot work here.
  if (mode === 'Always')
    problems.push('exec.interactiveMode is Always, but switchyard runs the plugin without a terminal');
  if (raw.provideClusterInfo !== undefined && typeof raw.provideClusterInfo !== 'boolean')
    problems.push('exec.provideClusterInfo must be true or false');
  if (problems.length > 0) return problems;
  const command = raw.command as string;
  return {
    apiVersion: apiVersion as ExecApiVersion,
    // kubectl's rule: a bare name is looked up on PATH; a relative path is the kubeconfig's.
    command: command.includes('/') && !isAbsolute(command) ? resolve(base, command) : command,
    args: args as string[],
    env: (env as Raw[]).map((e) => ({ name: e.name as string, value: e.value as string })),
    interactiveMode: mode as ExecConfig['interactiveMode'],
    provideClusterInfo: raw.provideClusterInfo === true,
    ...(typeof raw.installHint === 'string' ? { installHint: raw.installHint } : {}),
  };
}

/** A TokenSource (and client certificate source) that runs the plugin when it must. */
export function execCredentialSource(
  config: ExecConfig,
  cluster: ExecClusterInfo,
  options: ExecOptions = {},
): TokenSource {
  const now = options.now ?? Date.now;
  let current: Credential | undefined;
  let running: Promise<Credential> | undefined;
  const fresh = () => current !== undefined && now() < current.expiresAt - EXPIRY_MARGIN_MS;
  return {
    async get() {
      if (!fresh()) {
        running ??= runPlugin(config, cluster, options).finally(() => {
          running = undefined;
        });
        current = await running;
      }
      return current?.token;
    },
    invalidate() {
      current = undefined;
    },
    clientCertificate() {
      return current?.cert !== undefined && current.key !== undefined
        ? { cert: current.cert, key: current.key }
        : undefined;
    },
  };
}

function execError(config: ExecConfig, problem: string): SwitchyardError {
  return createError('SY_ERR_K8S_EXEC', [config.command, problem]);
}

function runPlugin(config: ExecConfig, cluster: ExecClusterInfo, options: ExecOptions): Promise<Credential> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxOutput = options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT;
  const request = {
    apiVersion: config.apiVersion,
    kind: 'ExecCredential',
    spec: { interactive: false, ...(config.provideClusterInfo ? { cluster } : {}) },
  };
  const env: Record<string, string | undefined> = { ...(options.env ?? process.env) };
  for (const { name, value } of config.env) env[name] = value;
  env.KUBERNETES_EXEC_INFO = JSON.stringify(request);
  return new Promise<Credential>((resolvePromise, reject) => {
    let settled = false;
    const fail = (problem: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(execError(config, problem));
    };
    const child = spawn(config.command, config.args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const timer = setTimeout(() => fail(`gave no answer within ${timeoutMs} ms`), timeoutMs);
    const out: Buffer[] = [];
    let outBytes = 0;
    let errText = '';
    child.stdout.on('data', (chunk: Buffer) => {
      outBytes += chunk.length;
      if (outBytes > maxOutput) return fail(`printed more than ${maxOutput} bytes`);
      out.push(chunk);
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      errText = (errText + chunk).slice(-STDERR_KEPT);
    });
    child.on('error', (e: NodeJS.ErrnoException) => {
      const hint = config.installHint ? ` (${config.installHint.trim()})` : '';
      fail(e.code === 'ENOENT' ? `command not found${hint}` : e.message);
    });
    child.on('close', (code, signal) => {
      if (settled) return;
      if (code !== 0) {
        const said = errText.trim() === '' ? '' : `: ${errText.trim()}`;
        return fail(`exited with ${code ?? signal}${said}`);
      }
      try {
        const credential = readCredential(Buffer.concat(out).toString('utf8'), config.apiVersion);
        settled = true;
        clearTimeout(timer);
        resolvePromise(credential);
      } catch (e) {
        fail((e as Error).message);
      }
    });
  });
}

/** The plugin's ExecCredential, checked: the requested version, and a token or a certificate pair. */
function readCredential(text: string, apiVersion: ExecApiVersion): Credential {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new Error(`printed no JSON ExecCredential: ${JSON.stringify(text.slice(0, 200))}`);
  }
  if (!isRaw(doc) || doc.kind !== 'ExecCredential') throw new Error('printed something other than an ExecCredential');
  if (doc.apiVersion !== apiVersion)
    throw new Error(`answered in ${JSON.stringify(doc.apiVersion)}, but ${apiVersion} was asked for`);
  const status = doc.status;
  if (!isRaw(status)) throw new Error('printed an ExecCredential without a status');
  const str = (k: string) => (typeof status[k] === 'string' && status[k] !== '' ? (status[k] as string) : undefined);
  const token = str('token');
  const cert = str('clientCertificateData');
  const key = str('clientKeyData');
  if ((cert === undefined) !== (key === undefined))
    throw new Error('gave clientCertificateData without clientKeyData, or the other way round');
  if (token === undefined && cert === undefined) throw new Error('gave neither a token nor a client certificate');
  let expiresAt = Number.POSITIVE_INFINITY;
  if (status.expirationTimestamp !== undefined) {
    expiresAt = typeof status.expirationTimestamp === 'string' ? Date.parse(status.expirationTimestamp) : Number.NaN;
    if (Number.isNaN(expiresAt))
      throw new Error(
        `gave an expirationTimestamp that is no RFC 3339 time: ${JSON.stringify(status.expirationTimestamp)}`,
      );
  }
  return { ...(token ? { token } : {}), ...(cert ? { cert, key } : {}), expiresAt };
}
