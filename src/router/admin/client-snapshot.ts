/**
 * What `/admin/clients.json` shows of each client: its endpoints as the balancer sees them, its
 * attempt counters, and the fault rules that select it (so a dashboard tells chaos from an outage).
 */
import type { Client } from '../core/client.js';
import type { FaultTable } from '../faults/fault-table.js';
import type { EndpointStats } from '../policy/balancer.js';

export interface ClientSnapshot {
  readonly id: string;
  readonly state: string;
  readonly failure?: string;
  readonly endpoints: EndpointStats[];
  /** Attempts on this client so far, and how many succeeded / failed (the client's metrics). */
  readonly requests?: number;
  readonly success?: number;
  readonly failures?: number;
  /** `rule/toxic` of each fault that selects this client. */
  readonly faults?: string[];
}

export function clientSnapshots(clients: Iterable<Client>, faults: FaultTable): ClientSnapshot[] {
  return [...clients].map((c) => {
    const selected = faults.clientFaults(c.id);
    return {
      id: c.id,
      state: c.state,
      ...(c.failure ? { failure: c.failure.message } : {}),
      endpoints: c.endpointStats(),
      // A client's counters are registered at its first answer: until then it has none to show.
      ...(c.stats?.requests
        ? { requests: c.stats.requests.value, success: c.stats.success.value, failures: c.stats.failures.value }
        : {}),
      ...(selected.length > 0 ? { faults: selected } : {}),
    };
  });
}
