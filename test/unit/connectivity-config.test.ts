/**
 * The router's connectivity ping keys (docs/connectivity.md#flags-and-keys): `registry.pingIntervalMs`,
 * `pingTimeoutMs` and `pingMaxPeers` in the YAML, the same from `--ping-*` flags (the command turns
 * durations into milliseconds), every bad value reported at once.
 */
import { describe, expect, it } from 'vitest';
import { routerConfig } from '../../src/config/router-config.js';
import { SwitchyardError } from '../../src/errors.js';

const base = 'dtab: /svc => /$/inet/127.0.0.1/1\nregistry:\n  url: http://127.0.0.1:4190\n';

function problems(yaml: string, flags = {}): string[] {
  try {
    routerConfig(yaml, flags);
  } catch (e) {
    if (!(e instanceof SwitchyardError)) throw e;
    return e.message
      .split('\n')
      .slice(1)
      .map((l) => l.trim());
  }
  return [];
}

describe('router registry ping keys', () => {
  it('are read from the YAML, and flags win', () => {
    const yaml = `${base}  pingIntervalMs: 500\n  pingTimeoutMs: 250\n  pingMaxPeers: 8\n`;
    expect(routerConfig(yaml).registry).toMatchObject({ pingIntervalMs: 500, pingTimeoutMs: 250, pingMaxPeers: 8 });
    expect(routerConfig(yaml, { pingIntervalMs: '0', pingTimeoutMs: '1000' }).registry).toMatchObject({
      pingIntervalMs: 0,
      pingTimeoutMs: 1000,
      pingMaxPeers: 8,
    });
  });

  it('every bad value is reported at once', () => {
    const yaml = `${base}  pingIntervalMs: -1\n  pingTimeoutMs: 0\n  pingMaxPeers: 65\n  pingVia: x\n`;
    expect(problems(yaml)).toEqual([
      '- registry.pingIntervalMs: must be an integer from 0 to 3600000, got -1',
      '- registry.pingTimeoutMs: must be an integer from 1 to 600000, got 0',
      '- registry.pingMaxPeers: must be an integer from 1 to 64, got 65',
      '- registry.pingVia: must be host:port, got "x"',
    ]);
  });
});
