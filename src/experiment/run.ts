/**
 * One run of an experiment, in Chaos Toolkit's order: the steady-state hypothesis, the method
 * (its actions and waits, in order, stopping at the first that fails), the hypothesis again, and
 * always — after a deviation, a failed action, an error or Ctrl-C — the rollback of what the run
 * changed: the toxics it added are removed (pods come back by their controller, killed local
 * processes are not restarted). The outcome is one verdict (verdict.ts).
 */
import type { FetchLimits } from '../canary/bounded-fetch.js';
import type { K8sApiClient } from '../namers/k8s/api-client.js';
import { checkHypothesis, type HypothesisResult } from './hypothesis.js';
import { killLocalPeer } from './peer-action.js';
import { killPod } from './pod-action.js';
import { Interrupted, sleep } from './sleep.js';
import type { Action, Experiment } from './spec.js';
import { type AddedToxic, addToxic, checkUnanswered, removeToxic, ToxicRefused } from './toxic-action.js';
import { type ActionResult, type RollbackResult, type Verdict, verdictOf } from './verdict.js';

export interface RunOptions {
  /** The Kubernetes client, made on first use (only kill-pod needs one). */
  readonly k8s: () => K8sApiClient;
  /** Bearer token for Toxiproxy APIs on router admin ports that want one. */
  readonly token?: string;
  /** Ctrl-C or SIGTERM: the run stops where it is and rolls back. */
  readonly signal: AbortSignal;
  readonly limits?: FetchLimits;
}

async function act(action: Action, opts: RunOptions, added: AddedToxic[]): Promise<Record<string, unknown>> {
  const limits = { ...opts.limits, signal: opts.signal };
  switch (action.action) {
    case 'wait':
      await sleep(action.ms, opts.signal);
      return { waitedMs: action.ms };
    case 'add-toxic': {
      const { added: t, answer } = await addToxic(action.api, action.proxy, action.toxic, opts.token);
      added.push(t);
      return { api: action.api, proxy: action.proxy, toxic: answer ?? action.toxic };
    }
    case 'kill-pod':
      return { ...(await killPod(opts.k8s(), action.namespace, action.labelSelector, opts.signal)) };
    case 'kill-local-peer':
      return { ...(await killLocalPeer(action.registry, action.label, action.signal, limits)) };
  }
}

const describe = (a: Action): { action: string; [key: string]: unknown } => {
  switch (a.action) {
    case 'wait':
      return { action: a.action, durationMs: a.ms };
    case 'add-toxic':
      return { action: a.action, api: a.api, proxy: a.proxy, toxic: a.toxic.name };
    case 'kill-pod':
      return { action: a.action, namespace: a.namespace, labelSelector: a.labelSelector };
    case 'kill-local-peer':
      return { action: a.action, registry: a.registry, label: a.label, signal: a.signal };
  }
};

export async function runExperiment(experiment: Experiment, opts: RunOptions): Promise<Verdict> {
  const startedAt = new Date().toISOString();
  const limits = { ...opts.limits, signal: opts.signal };
  const added: AddedToxic[] = [];
  /** Adds that got no answer: the toxic may or may not exist. */
  const unanswered: AddedToxic[] = [];
  const method: ActionResult[] = [];
  const rollback: RollbackResult[] = [];
  let before: HypothesisResult | null = null;
  let after: HypothesisResult | null = null;
  let error: string | null = null;
  try {
    before = await checkHypothesis(experiment.hypothesis.probes, limits, opts.signal);
    if (before.ok === true && !opts.signal.aborted) {
      for (const [index, action] of experiment.method.entries()) {
        if (opts.signal.aborted) break;
        const at = Date.now();
        try {
          const result = await act(action, opts, added);
          method.push({ index, ...describe(action), ok: true, ms: Date.now() - at, result });
        } catch (e) {
          const interrupted = e instanceof Interrupted;
          if (action.action === 'add-toxic' && !(e instanceof ToxicRefused))
            unanswered.push({ api: action.api, proxy: action.proxy, name: action.toxic.name });
          method.push({ index, ...describe(action), ok: false, ms: Date.now() - at, error: (e as Error).message });
          if (!interrupted) error = `method[${index}] (${action.action}) failed: ${(e as Error).message}`;
          break;
        }
      }
      if (error === null && !opts.signal.aborted)
        after = await checkHypothesis(experiment.hypothesis.probes, limits, opts.signal);
    }
  } catch (e) {
    error = `the run broke off: ${(e as Error).message}`;
  } finally {
    // Whatever happened above, what this run added goes, newest first.
    for (const t of added.reverse()) {
      try {
        rollback.push({
          action: 'remove-toxic',
          api: t.api,
          proxy: t.proxy,
          toxic: t.name,
          ok: true,
          result: await removeToxic(t, opts.token),
        });
      } catch (e) {
        rollback.push({
          action: 'remove-toxic',
          api: t.api,
          proxy: t.proxy,
          toxic: t.name,
          ok: false,
          error: (e as Error).message,
        });
      }
    }
    for (const t of unanswered) {
      const where = { action: 'check-unanswered-toxic', api: t.api, proxy: t.proxy, toxic: t.name };
      try {
        rollback.push({ ...where, ok: true, result: await checkUnanswered(t, opts.token) });
      } catch (e) {
        rollback.push({ ...where, ok: false, error: (e as Error).message });
      }
    }
    for (const m of method) {
      if (m.ok && m.action === 'kill-pod')
        rollback.push({ action: 'kill-pod', ok: true, result: 'left to its controller' });
      if (m.ok && m.action === 'kill-local-peer')
        rollback.push({ action: 'kill-local-peer', ok: true, result: 'not restarted' });
    }
  }
  return verdictOf({
    title: experiment.title,
    hypothesisTitle: experiment.hypothesis.title,
    startedAt,
    before,
    after,
    method,
    rollback,
    error,
    interrupted: opts.signal.aborted,
  });
}
