/**
 * The standalone registry's metrics: totals of labels, pods, targets and lockers and its API's
 * requests by route pattern, at /metrics (promtool clean) — never a series per caller-chosen
 * label or pod address.
 */

import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Registry } from '../../src/registry/registry.js';
import { buildRegistryApp } from '../../src/registry/registry-app.js';
import { promtoolCheckMetrics } from '../helpers/promtool.js';

let registry: Registry;
let app: FastifyInstance;
let url: string;

beforeAll(async () => {
  registry = await Registry.open();
  app = buildRegistryApp({ registry });
  url = await app.listen({ host: '127.0.0.1', port: 0 });
});

afterAll(async () => {
  await app.close();
  await registry.close();
});

describe('registry metrics', () => {
  it('counts pods, labels and API requests without a series per label or pod', async () => {
    for (let i = 0; i < 5; i++) {
      const res = await fetch(`${url}/registry/peers/add`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: `canary-${i % 2}`, address: `127.0.0.1:${9000 + i}`, namespace: 'default' }),
      });
      expect(res.status).toBeLessThan(300);
    }
    const text = await (await fetch(`${url}/metrics`)).text();
    expect(text).toContain('switchyard_registry_peers 5\n');
    expect(text).toContain('switchyard_registry_labels 2\n');
    expect(text).toMatch(
      /^switchyard_registry_http_requests_total\{method="POST",route="\/registry\/peers\/add",status="\d+"\} 5$/m,
    );
    expect(text).not.toContain('canary-1');
    expect(text).not.toContain('9003');
    const result = promtoolCheckMetrics(text);
    expect(result.status, result.output).toBe(0);
    const json = (await (await fetch(`${url}/admin/metrics.json`)).json()) as Record<string, number>;
    expect(json['registry/peers']).toBe(5);
  });
});
