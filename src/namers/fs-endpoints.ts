/**
 * The endpoint-file format of the `io.l5d.fs` namer (docs/namers.md#file-based-discovery), as linkerd's
 * WatchingNamer reads it: one endpoint per line, `host port` or `host port * weight`; `#` starts
 * a comment anywhere on a line; blank lines are ignored; the port must be 1..65535. Any malformed
 * line fails the whole file, because serving a partial endpoint set would silently shed the
 * endpoints an operator mistyped. The error names the file and line so the typo is findable.
 */
import { isIP } from 'node:net';
import { parseJavaInt } from './java-int.js';

/** Finagle's `WeightedAddress.weightKey`: the per-endpoint weight a balancer reads. */
export const ENDPOINT_WEIGHT_META_KEY = 'endpoint_addr_weight';

export interface FileEndpoint {
  readonly host: string;
  readonly port: number;
  /** Present only when the line gave `* weight`. */
  readonly weight?: number;
  /** 1-based line number in the file, for messages. */
  readonly line: number;
}

export class MalformedAddressError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly text: string,
    /** How many malformed lines the file has in all; the message quotes only the first. */
    readonly count = 1,
  ) {
    const more = count > 1 ? ` (and ${count - 1} more malformed line${count > 2 ? 's' : ''})` : '';
    super(`malformed address at ${file}:${line}: "${text}"; expected "host port" or "host port * weight"${more}`);
    this.name = 'MalformedAddressError';
  }
}

/** The endpoints of a file's text, or the error for its first malformed line. */
export function parseEndpoints(text: string, file: string): FileEndpoint[] | MalformedAddressError {
  const endpoints: FileEndpoint[] = [];
  let first: { line: number; text: string } | undefined;
  let bad = 0;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    const hash = raw.indexOf('#');
    const content = (hash < 0 ? raw : raw.slice(0, hash)).trim();
    if (content === '') continue;
    const endpoint = parseLine(content, i + 1);
    if (endpoint !== null) endpoints.push(endpoint);
    else {
      bad++;
      first ??= { line: i + 1, text: content };
    }
  }
  return first === undefined ? endpoints : new MalformedAddressError(file, first.line, first.text, bad);
}

function parseLine(content: string, line: number): FileEndpoint | null {
  const fields = content.split(/\s+/);
  if (fields.length !== 2 && !(fields.length === 4 && fields[2] === '*')) return null;
  const port = parseJavaInt(fields[1]!);
  if (port === null || port < 1 || port > 65535) return null;
  const host = unbracket(fields[0]!);
  if (fields.length === 2) return { host, port, line };
  const weight = parseWeight(fields[3]!);
  return weight === null ? null : { host, port, weight, line };
}

/**
 * linkerd parses the weight with Java's `toDouble`, which also takes NaN, Infinity and negative
 * numbers; a balancer can do nothing sensible with those, so here they are malformed.
 */
function parseWeight(text: string): number | null {
  if (!/^[+]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) return null;
  const weight = Number(text);
  return Number.isFinite(weight) ? weight : null;
}

/** `[::1]` is how IPv6 literals are usually written next to a port; Java's resolver takes it too. */
function unbracket(host: string): string {
  const inner = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  return isIP(inner) === 6 ? inner : host;
}
