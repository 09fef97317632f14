/**
 * The one registry of switchyard's errors: every stable `SY_ERR_*` code with its message
 * template and the HTTP status an edge (namerd's API, the router's respond function) maps it
 * to. Inner code throws these and never picks a status itself; docs/errors.md lists exactly
 * these codes and a test keeps the two in step.
 */

export interface ErrorSpec {
  /** `%s` placeholders are filled, in order, by the arguments given to `createError`. */
  readonly template: string;
  readonly status: number;
}

export const errorCodes = {
  SY_ERR_DTAB_SYNTAX: { template: '%s', status: 400 },
  SY_ERR_INVALID_DTAB_HEADERS: { template: 'Invalid Dtab headers: %s', status: 400 },
  SY_ERR_DTAB_HEADER_TOO_LARGE: {
    template: 'Invalid Dtab headers: %s bytes of dtab headers exceed the limit of %s bytes',
    status: 431,
  },
  SY_ERR_DTAB_NOT_SERIALIZABLE: { template: 'Dtab of %s cannot be sent in a header (limit: %s)', status: 500 },
  SY_ERR_BIND_MAX_DEPTH: { template: 'Max recursion level: %s reached in Namer lookup', status: 502 },
  SY_ERR_BIND_BUDGET: { template: 'Bind budget exceeded: more than %s %s in one bind', status: 400 },
  SY_ERR_DTAB_TOO_MANY_DENTRIES: { template: 'Dtab has %s dentries, more than the limit of %s', status: 400 },
  SY_ERR_DELEGATE_MAX_DEPTH: { template: 'Max recursion level reached.', status: 502 },
  SY_ERR_UNKNOWN_NAMER: { template: 'Unknown namer: %s for path: %s', status: 502 },
  SY_ERR_NAMER_FAILED: { template: 'Namer %s failed: %s', status: 502 },
  SY_ERR_K8S_API: { template: 'Kubernetes API: %s answered %s: %s', status: 502 },
  SY_ERR_K8S_EXEC: { template: 'Kubernetes credential plugin %s: %s', status: 502 },
  SY_ERR_NAMESPACE_EXISTS: { template: 'Namespace %s already exists', status: 409 },
  SY_ERR_NAMESPACE_NOT_FOUND: { template: 'Namespace %s does not exist', status: 404 },
  SY_ERR_NAMESPACE_INVALID: { template: 'Invalid namespace %s: %s', status: 400 },
  SY_ERR_VERSION_MISMATCH: {
    template: 'Version mismatch for %s: the request expected version %s but the current version is %s',
    status: 412,
  },
  SY_ERR_VERSION_NOT_FOUND: { template: 'Namespace %s has no version %s (it may have been pruned)', status: 404 },
  SY_ERR_STORE_UNAVAILABLE: { template: 'The dtab store is unavailable: %s', status: 503 },
  SY_ERR_INVALID_MESSAGE: { template: 'Invalid write message: %s', status: 400 },
  SY_ERR_STORE_LOCKED: { template: 'The dtab directory %s is in use by another namerd (pid %s)', status: 500 },
  SY_ERR_UNAUTHORIZED: { template: 'Writes need an Authorization: Bearer token', status: 401 },
  SY_ERR_FORBIDDEN: { template: 'The bearer token is not valid for writes', status: 403 },
  SY_ERR_INVALID_CONTENT_TYPE: {
    template: 'Invalid Content-Type "%s". Use application/json, application/dtab or text/plain',
    status: 400,
  },
  SY_ERR_INVALID_PATH: { template: 'Invalid path: %s', status: 400 },
  SY_ERR_INVALID_DTAB: { template: 'Invalid dtab: %s', status: 400 },
  SY_ERR_TIMEOUT: { template: 'Request timed out.', status: 503 },
  SY_ERR_CONFIG_INVALID: { template: 'Invalid configuration:%s', status: 500 },
  SY_ERR_UNIDENTIFIED: { template: 'Unidentified request: %s', status: 400 },
  SY_ERR_DTAB_OVERRIDE_DENIED: { template: 'Dtab override refused: %s', status: 403 },
  SY_ERR_SELF_ADDRESS: { template: "Refused to route %s to the router's own listener %s", status: 403 },
  SY_ERR_MAX_CALL_DEPTH: { template: 'Max call depth exceeded: the request passed %s routers (limit %s)', status: 400 },
  SY_ERR_NO_BROKERS: { template: 'No hosts are available for %s, Dtab.base=[%s], Dtab.local=[%s]', status: 502 },
  SY_ERR_BINDING_TIMEOUT: { template: 'Binding %s timed out after %s ms', status: 503 },
  SY_ERR_UPSTREAM_CONNECT: { template: 'Connection to %s failed: %s', status: 502 },
  SY_ERR_UPSTREAM_FAILED: { template: 'Request to %s failed: %s', status: 502 },
  SY_ERR_UPSTREAM_TIMEOUT: { template: 'Request to %s timed out after %s ms', status: 504 },
  SY_ERR_DEADLINE_EXCEEDED: {
    template: 'The request deadline (l5d-ctx-deadline) passed before %s answered',
    status: 504,
  },
  SY_ERR_BAD_REQUEST: { template: 'Bad request: %s', status: 400 },
  SY_ERR_REQUEST_TIMEOUT: { template: 'The request %s did not arrive within %s ms', status: 408 },
  SY_ERR_URI_TOO_LONG: { template: 'The request line is longer than %s bytes', status: 414 },
  SY_ERR_HEADERS_TOO_LARGE: { template: 'The request headers are larger than %s bytes', status: 431 },
  SY_ERR_METHOD_NOT_ALLOWED: { template: 'Method %s is not supported by this router', status: 405 },
  SY_ERR_TOO_MANY_CONNECTIONS: { template: 'The router holds its limit of %s connections', status: 503 },
  SY_ERR_INVALID_ARGUMENT: { template: '%s', status: 400 },
  SY_ERR_USAGE: { template: '%s', status: 400 },
  SY_ERR_INVALID_TARGET: { template: 'Invalid target: %s', status: 400 },
  SY_ERR_TARGET_NOT_FOUND: { template: 'No target named %s', status: 404 },
  SY_ERR_TARGET_RUNNING: { template: 'Target %s is running; stop it first', status: 409 },
  SY_ERR_INVALID_PEER: { template: 'Invalid peer: %s', status: 400 },
  SY_ERR_PEER_NOT_FOUND: { template: 'No peer at %s is registered under label %s', status: 404 },
  SY_ERR_REGISTRY_STORE_UNAVAILABLE: { template: 'The registry store is unavailable: %s', status: 503 },
  SY_ERR_LOCKER_NOT_FOUND: { template: 'Nothing is stored in the locker of %s at %s', status: 404 },
  SY_ERR_LOCKER_FULL: { template: 'Locker full: %s; nothing was stored', status: 413 },
  SY_ERR_LOOPBACK_ONLY: { template: '%s is answered only on loopback; %s', status: 403 },
  SY_ERR_PEER_ADDRESS_REFUSED: { template: 'Peer address refused: %s', status: 403 },
  SY_ERR_INVALID_CONNECTIVITY_REPORT: { template: 'Invalid connectivity report: %s; nothing was stored', status: 400 },
  SY_ERR_CONNECTIVITY_FULL: { template: 'Connectivity matrix full: %s; nothing was stored', status: 413 },
  SY_ERR_INVALID_FAULT: { template: 'Invalid fault: %s', status: 400 },
  SY_ERR_FAULTS_FULL: { template: 'Too many faults: %s; nothing was stored', status: 413 },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof errorCodes;

const brand = Symbol.for('switchyard.error');

/** Base class of every error in the registry; `instanceof` works across copies of the package. */
export class SwitchyardError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly [brand] = true;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.status = errorCodes[code].status;
    this.name = 'SwitchyardError';
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    // Subclasses keep the ordinary prototype check; only the base class is matched by brand.
    // biome-ignore lint/complexity/noThisInStatic: `this` is whichever class `instanceof` names.
    if (this !== SwitchyardError) return Function.prototype[Symbol.hasInstance].call(this, value);
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[brand] === true;
  }
}

/** Fills the code's template; missing arguments stay visible as `%s` rather than vanish. */
export function formatMessage(code: ErrorCode, args: readonly unknown[]): string {
  let i = 0;
  return errorCodes[code].template.replace(/%s/g, () => (i < args.length ? String(args[i++]) : '%s'));
}

export function createError(code: ErrorCode, args: readonly unknown[] = [], cause?: unknown): SwitchyardError {
  return new SwitchyardError(code, formatMessage(code, args), cause === undefined ? undefined : { cause });
}

/** Where a syntax error is and what the parser wanted there (docs/dtab-language.md#syntax-errors). */
export interface SyntaxErrorDetail {
  /** 1-based line; lines split at `\n`, the character that ends a `#` comment. */
  readonly line: number;
  /** 1-based column, counted in characters (code points) from the start of the line. */
  readonly column: number;
  /** Offset of the offending character in the input, in UTF-16 code units. */
  readonly offset: number;
  /** The offending character as printed (quoted, or `U+XXXX` when unprintable), or `end of input`. */
  readonly found: string;
  /** Categories of what would have been accepted: `'/'`, `label char`, `simple`, `end of input`, … */
  readonly expected: readonly string[];
  /** Extra words after the standard sentence, e.g. why a weight is out of range. */
  readonly reason?: string;
}

/** The error every dtab, path, prefix and name-tree parser throws on bad input. */
export class DtabSyntaxError extends SwitchyardError implements SyntaxErrorDetail {
  readonly line: number;
  readonly column: number;
  readonly offset: number;
  readonly found: string;
  readonly expected: readonly string[];
  readonly reason?: string;
  /** The input line holding the error, with the offending character in brackets (Finagle's display). */
  readonly excerpt: string;

  constructor(detail: SyntaxErrorDetail, excerpt: string) {
    const what = detail.reason ?? `${joinExpected(detail.expected)} expected but ${detail.found} found`;
    super('SY_ERR_DTAB_SYNTAX', `${what} at line ${detail.line}, column ${detail.column}: '${excerpt}'`);
    this.name = 'DtabSyntaxError';
    this.line = detail.line;
    this.column = detail.column;
    this.offset = detail.offset;
    this.found = detail.found;
    this.expected = detail.expected;
    if (detail.reason !== undefined) this.reason = detail.reason;
    this.excerpt = excerpt;
  }
}

function joinExpected(expected: readonly string[]): string {
  if (expected.length <= 1) return expected[0] ?? 'nothing';
  return `${expected.slice(0, -1).join(', ')} or ${expected[expected.length - 1]}`;
}
