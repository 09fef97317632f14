/**
 * Where an experiment may reach, judged before anything runs (a refusal is bad input: exit 64,
 * nothing done): a Toxiproxy API must be on loopback unless `--allow-remote-toxiproxy` says
 * otherwise (faults are writes, and a file from elsewhere must not point them at another host);
 * a kill-local-peer's registry is always loopback, since the action only ever reaches this
 * machine's processes. A name is judged by every address it resolves to.
 */
import { lookup } from 'node:dns/promises';
import { isLoopback } from '../chaos/loopback.js';
import type { Experiment } from './spec.js';

async function loopbackHost(url: string): Promise<string | null> {
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
  try {
    const all = await lookup(host, { all: true });
    const outside = all.filter((a) => !isLoopback(a.address));
    if (all.length === 0) return `${host} resolves to nothing`;
    return outside.length === 0 ? null : `${host} is ${outside.map((a) => a.address).join(', ')}, not loopback`;
  } catch (e) {
    return `${host} does not resolve: ${(e as Error).message}`;
  }
}

export async function reachProblems(experiment: Experiment, allowRemoteToxiproxy: boolean): Promise<string[]> {
  const problems: string[] = [];
  for (const [i, a] of experiment.method.entries()) {
    if (a.action === 'add-toxic' && !allowRemoteToxiproxy) {
      const why = await loopbackHost(a.api);
      if (why !== null) problems.push(`method[${i}].api: ${why} (refused; --allow-remote-toxiproxy allows it)`);
    }
    if (a.action === 'kill-local-peer') {
      const why = await loopbackHost(a.registry);
      if (why !== null) problems.push(`method[${i}].registry: ${why} (kill-local-peer reaches only this machine)`);
    }
  }
  return problems;
}
