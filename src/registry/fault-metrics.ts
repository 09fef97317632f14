/**
 * The registry's gauge of fault configs per label, `registry:faults{label}`. Labels are chosen by
 * callers, which the registry's other metrics never turn into series; this one may, because the
 * registry holds faults for at most FAULT_LIMITS.labels labels and a label's series goes away when
 * its last fault does.
 */
import type { MetricsRegistry } from '../telemetry/metrics.js';
import type { FaultBook } from './fault-book.js';

export function registerFaultMetrics(metrics: MetricsRegistry, faults: FaultBook): () => void {
  metrics.describe('registry:faults', 'fault configs stored per label and pushed to its pods');
  const shown = new Set<string>();
  const sync = () => {
    const counts = faults.counts();
    for (const label of shown) {
      if (counts.has(label)) continue;
      metrics.remove('registry:faults', { label });
      shown.delete(label);
    }
    for (const label of counts.keys()) {
      if (shown.has(label)) continue;
      metrics.gauge('registry:faults', { label }, () => faults.counts().get(label) ?? 0);
      shown.add(label);
    }
  };
  sync();
  return faults.onChange(sync);
}
