/**
 * The registry's calls to its peers (goto's peerCaller): one request per pod, all pods at once,
 * each bounded by a timeout, answered as `{label: {address: "ok" | "error: …"}}`. A pod that
 * does not answer at all (timeout, refused) is reported so the registry can leave it out of
 * later pushes until its next reminder. Outbound HTTP goes through one undici Agent.
 */
import type { LookupFunction } from 'node:net';
import { Agent, request } from 'undici';

export interface PodRef {
  readonly label: string;
  readonly address: string;
  readonly url: string;
}

export type FanoutAnswers = Record<string, Record<string, string>>;

/** One call of a push; `absentOk` takes a 404 as done (deleting what the pod no longer has). */
export interface PeerRequest {
  readonly method: 'POST' | 'DELETE';
  readonly path: string;
  readonly body?: unknown;
  readonly absentOk?: boolean;
}

export interface FanoutResult {
  readonly answers: FanoutAnswers;
  /** Pods that answered with an error status or not at all. */
  readonly failed: readonly PodRef[];
  /** Pods that did not answer at all. */
  readonly unreachable: readonly PodRef[];
}

export interface PeerCallerOptions {
  /** Per-pod time limit of a push (goto: 10 s). */
  readonly timeoutMs?: number;
  readonly healthTimeoutMs?: number;
  /** The admin token peers' /client writes need; null sends none. */
  readonly token?: string | null;
  /** Resolves peers' hosts, refusing addresses the registry never calls (see peer-address.ts). */
  readonly lookup?: LookupFunction;
}

export class PeerCaller {
  readonly #agent: Agent;
  readonly #timeoutMs: number;
  readonly #healthTimeoutMs: number;
  readonly #headers: Record<string, string>;

  constructor(options: PeerCallerOptions = {}) {
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    this.#healthTimeoutMs = options.healthTimeoutMs ?? 5_000;
    this.#headers = options.token ? { authorization: `Bearer ${options.token}` } : {};
    this.#agent = new Agent({
      connect: {
        timeout: Math.min(this.#timeoutMs, 5_000),
        ...(options.lookup === undefined ? {} : { lookup: options.lookup }),
      },
      keepAliveTimeout: 10_000,
    });
  }

  async #one(
    pod: PodRef,
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    body: string | undefined,
    timeoutMs: number,
    absentOk = false,
  ) {
    try {
      const res = await request(`${pod.url}${path}`, {
        method,
        dispatcher: this.#agent,
        signal: AbortSignal.timeout(timeoutMs),
        headers: body === undefined ? this.#headers : { ...this.#headers, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body }),
      });
      const text = await res.body.text();
      if ((res.statusCode >= 200 && res.statusCode < 300) || (absentOk && res.statusCode === 404)) {
        return { answer: 'ok', reached: true };
      }
      return { answer: `error: ${res.statusCode} ${text.trim().slice(0, 300)}`, reached: true };
    } catch (e) {
      const error = e as Error & { code?: string };
      const why = error.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : (error.code ?? error.message);
      return { answer: `error: ${why}`, reached: false };
    }
  }

  /** Sends the same POST to every pod concurrently. */
  fanout(pods: readonly PodRef[], path: string, body?: unknown): Promise<FanoutResult> {
    return this.fanoutRequests(pods, [{ method: 'POST', path, ...(body === undefined ? {} : { body }) }]);
  }

  /** The requests in order to each pod, all pods concurrently; a pod's answer is its first failure. */
  async fanoutRequests(pods: readonly PodRef[], requests: readonly PeerRequest[]): Promise<FanoutResult> {
    const texts = requests.map((r) => (r.body === undefined ? undefined : JSON.stringify(r.body)));
    const sequence = async (pod: PodRef) => {
      let outcome = { answer: 'ok', reached: true };
      for (const [i, r] of requests.entries()) {
        outcome = await this.#one(pod, r.method, r.path, texts[i], this.#timeoutMs, r.absentOk);
        if (outcome.answer !== 'ok') break;
      }
      return outcome;
    };
    // Labels such as `constructor` are valid: the maps have no prototype to reach through.
    const answers = Object.create(null) as FanoutAnswers;
    const failed: PodRef[] = [];
    const unreachable: PodRef[] = [];
    const outcomes = await Promise.all(pods.map(sequence));
    pods.forEach((pod, i) => {
      const { answer, reached } = outcomes[i]!;
      (answers[pod.label] ??= Object.create(null) as Record<string, string>)[pod.address] = answer;
      if (answer !== 'ok') failed.push(pod);
      if (!reached) unreachable.push(pod);
    });
    return { answers, failed, unreachable };
  }

  /** `GET {pod}{path}` answered 200 (goto calls /health, and retries once after a timeout). */
  async healthy(pod: PodRef, path: string): Promise<boolean> {
    for (let attempt = 0; attempt < 2; attempt++) {
      const { answer, reached } = await this.#one(pod, 'GET', path, undefined, this.#healthTimeoutMs);
      if (answer === 'ok') return true;
      if (reached) return false;
    }
    return false;
  }

  async close(): Promise<void> {
    await this.#agent.close();
  }
}
