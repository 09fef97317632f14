/**
 * Adding and removing toxics through Toxiproxy's HTTP API (`POST /proxies/{proxy}/toxics`,
 * `DELETE /proxies/{proxy}/toxics/{toxic}`), spoken by toxiproxy-server, `switchyard toxiproxy`
 * and every router's admin port under `/toxiproxy/` alike. The run remembers exactly the toxics
 * it created (a name that already existed answers 409 and is someone else's: it is never
 * removed), and the rollback removes those and nothing else; an add that got no answer at all is
 * checked, and reported rather than removed when the toxic is there. Each exchange has one deadline and a
 * ceiling on what it reads.
 */
import { Agent, request } from 'undici';
import type { ToxicBody } from './spec.js';

const TIMEOUT_MS = 5_000;
const MAX_BODY = 64 * 1024;
const agent = new Agent({ keepAliveTimeout: 1_000, connections: 4 });

/** The API answered the add with a refusal: nothing was created. */
export class ToxicRefused extends Error {
  override readonly name = 'ToxicRefused';
}

export interface AddedToxic {
  readonly api: string;
  readonly proxy: string;
  readonly name: string;
}

async function call(
  method: 'GET' | 'POST' | 'DELETE',
  url: string,
  token: string | undefined,
  body?: unknown,
): Promise<{ status: number; text: string }> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  const signal = AbortSignal.timeout(TIMEOUT_MS);
  try {
    const res = await request(url, {
      method,
      headers,
      dispatcher: agent,
      signal,
      headersTimeout: TIMEOUT_MS,
      bodyTimeout: TIMEOUT_MS,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    let text = '';
    for await (const chunk of res.body) {
      if (text.length < MAX_BODY) text += (chunk as Buffer).toString('utf8');
    }
    return { status: res.statusCode, text: text.slice(0, MAX_BODY) };
  } catch (e) {
    if (signal.aborted) throw new Error(`${method} ${url}: no answer within ${TIMEOUT_MS} ms`);
    throw new Error(`${method} ${url}: ${(e as Error).message}`);
  }
}

/** Toxiproxy's error bodies are `{"error": "...", "status": N}`. */
function errorOf(text: string): string {
  try {
    const e = (JSON.parse(text) as { error?: unknown }).error;
    if (typeof e === 'string') return e.slice(0, 300);
  } catch {
    // Not Toxiproxy's shape: quote the start of it.
  }
  return text.slice(0, 200).replace(/\s+/g, ' ').trim();
}

const toxicsUrl = (api: string, proxy: string) => `${api}/proxies/${encodeURIComponent(proxy)}/toxics`;

/** Creates the toxic; resolves to what the API answered, or throws what it said. */
export async function addToxic(
  api: string,
  proxy: string,
  toxic: ToxicBody,
  token: string | undefined,
): Promise<{ added: AddedToxic; answer: unknown }> {
  const { status, text } = await call('POST', toxicsUrl(api, proxy), token, toxic);
  if (status !== 200) {
    const why = status === 409 ? `a toxic named ${toxic.name} already exists (left alone)` : errorOf(text);
    throw new ToxicRefused(`POST ${toxicsUrl(api, proxy)} answered ${status}: ${why}`);
  }
  let answer: unknown = null;
  try {
    answer = JSON.parse(text);
  } catch {
    answer = null;
  }
  return { added: { api, proxy, name: toxic.name }, answer };
}

/** Removes a toxic the run added: `removed`, `gone` (someone removed it first), or throws. */
export async function removeToxic(t: AddedToxic, token: string | undefined): Promise<'removed' | 'gone'> {
  const url = `${toxicsUrl(t.api, t.proxy)}/${encodeURIComponent(t.name)}`;
  const { status, text } = await call('DELETE', url, token);
  if (status === 204 || status === 200) return 'removed';
  if (status === 404) return 'gone';
  throw new Error(`DELETE ${url} answered ${status}: ${errorOf(text)}`);
}

/**
 * After an add that got no answer (a timeout, a cut connection), the run cannot tell whether it
 * created the toxic: `absent` when the API says there is none, else a reason to leave it to a person.
 */
export async function checkUnanswered(t: AddedToxic, token: string | undefined): Promise<'absent'> {
  const url = `${toxicsUrl(t.api, t.proxy)}/${encodeURIComponent(t.name)}`;
  const { status } = await call('GET', url, token);
  if (status === 404) return 'absent';
  throw new Error(
    status === 200
      ? `the add of ${t.name} was not answered and a toxic of that name exists: the run cannot tell it is its own, so it is left for you to remove`
      : `the add of ${t.name} was not answered, and GET ${url} answered ${status}`,
  );
}
