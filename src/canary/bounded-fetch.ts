/**
 * Reading JSON from routers and registries that may be slow, broken or hostile: one deadline for
 * the whole exchange (headers and body), a ceiling on the body's size, and a parse that can only
 * fail with a message. A router that hangs or answers a gigabyte costs the controller at most
 * the deadline and the ceiling, never the run.
 */
import { Agent, request } from 'undici';

export const DEFAULT_TIMEOUT_MS = 5_000;
export const DEFAULT_MAX_BYTES = 16 * 1024 * 1024;

export interface FetchLimits {
  readonly timeoutMs?: number;
  readonly maxBytes?: number;
  /** Aborts the exchange early (the run was paused). */
  readonly signal?: AbortSignal;
}

/** Shared so that repeated scrapes reuse connections; short keep-alive, so nothing lingers. */
const agent = new Agent({ keepAliveTimeout: 2_000, connections: 8 });

/** GETs `url` and parses its JSON body; throws an Error that says what went wrong, never hangs. */
export async function getJson(url: string, limits: FetchLimits = {}): Promise<unknown> {
  const text = await getText(url, limits, 'application/json');
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`the answer is not JSON: ${(e as Error).message}`);
  }
}

/** GETs `url` and returns its body as text, within the same deadline and ceiling. */
export async function getText(url: string, limits: FetchLimits = {}, accept = 'text/plain'): Promise<string> {
  const timeoutMs = limits.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxBytes = limits.maxBytes ?? DEFAULT_MAX_BYTES;
  const deadline = AbortSignal.timeout(timeoutMs);
  const signal = limits.signal === undefined ? deadline : AbortSignal.any([deadline, limits.signal]);
  let text: string;
  try {
    const response = await request(url, {
      dispatcher: agent,
      signal,
      headers: { accept },
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of response.body) {
      size += (chunk as Buffer).length;
      if (size > maxBytes) {
        response.body.destroy();
        throw new Error(`the answer is larger than ${maxBytes} bytes`);
      }
      chunks.push(chunk as Buffer);
    }
    text = Buffer.concat(chunks).toString('utf8');
    if (response.statusCode !== 200) {
      throw new Error(`answered ${response.statusCode}: ${text.slice(0, 200).replace(/\s+/g, ' ').trim()}`);
    }
  } catch (e) {
    if (deadline.aborted) throw new Error(`no complete answer within ${timeoutMs} ms`);
    throw e instanceof Error ? e : new Error(String(e));
  }
  return text;
}
