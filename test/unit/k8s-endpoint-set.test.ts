/**
 * The rules that turn Kubernetes objects into a name's address set
 * (docs/k8s-namer.md#from-objects-to-addresses; behaviours 1, 2, 5 and 6 of
 * docs/k8s-namer.md#behaviours-the-tests-pin-down), without a server: ready means `ready` true or
 * unset, terminating is never served, slice ports are matched by the Service port's name, a numeric
 * segment goes through the Service, slices are unioned and deduplicated, v1 Endpoints with null
 * subsets are empty.
 */
import { describe, expect, it } from 'vitest';
import {
  addressesFor as addressSet,
  endpointsGroups,
  sameAddressSet,
  servicePortName,
  sliceGroup,
} from '../../src/namers/k8s/endpoint-set.js';
import type { EndpointSlice, Service } from '../../src/namers/k8s/k8s-objects.js';

const addressesFor = (...args: Parameters<typeof addressSet>) => [...addressSet(...args).values()];
const hp = (addresses: { host: string; port: number }[]) => addresses.map((a) => `${a.host}:${a.port}`).sort();

const slice = (endpoints: EndpointSlice['endpoints'], ports: EndpointSlice['ports']): EndpointSlice => ({
  metadata: { name: 's' },
  endpoints,
  ports,
});

describe('sliceGroup', () => {
  it('keeps ready and unknown-readiness endpoints; drops not-ready and terminating ones', () => {
    const g = sliceGroup(
      slice(
        [
          { addresses: ['10.0.0.1'], conditions: { ready: true } },
          { addresses: ['10.0.0.2'], conditions: {} },
          { addresses: ['10.0.0.3'] },
          { addresses: ['10.0.0.4'], conditions: { ready: false } },
          // publishNotReadyAddresses: ready stays true while terminating; still not served.
          { addresses: ['10.0.0.5'], conditions: { ready: true, terminating: true } },
          { addresses: [] },
        ],
        [{ name: 'http', port: 8080 }],
      ),
    );
    expect(g.addresses.map((a) => a.host)).toEqual(['10.0.0.1', '10.0.0.2', '10.0.0.3']);
  });

  it('maps TCP ports by name (unnamed is ""), skipping UDP and "all ports"', () => {
    const g = sliceGroup(
      slice(null, [
        { name: 'http', port: 8080 },
        { port: 9000 },
        { name: 'dns', port: 53, protocol: 'UDP' },
        { name: 'any', port: null },
      ]),
    );
    expect([...g.ports]).toEqual([
      ['http', 8080],
      ['', 9000],
    ]);
    expect(g.addresses).toEqual([]);
  });

  it('carries nodeName and zone as address metadata', () => {
    const g = sliceGroup(slice([{ addresses: ['10.0.0.1'], nodeName: 'n1', zone: 'z' }], [{ name: 'a', port: 1 }]));
    expect(addressesFor([g], 'a')[0]!.meta).toEqual({ nodeName: 'n1', zone: 'z' });
  });
});

describe('servicePortName', () => {
  const service: Service = {
    spec: {
      ports: [
        { name: 'http', port: 80, targetPort: 'web' },
        { name: 'admin', port: 9990, targetPort: 9991 },
        { name: 'dns', port: 53, protocol: 'UDP' },
      ],
    },
  };
  it('matches a name, or a number against the Service port (not the target port)', () => {
    expect(servicePortName(service, 'http')).toBe('http');
    expect(servicePortName(service, '80')).toBe('http');
    expect(servicePortName(service, '9990')).toBe('admin');
    expect(servicePortName(service, '9991')).toBeNull();
    expect(servicePortName(service, 'dns')).toBeNull();
    expect(servicePortName({ spec: { ports: [{ port: 8080 }] } }, '8080')).toBe('');
    expect(servicePortName({ spec: null }, 'http')).toBeNull();
  });
});

describe('addressesFor', () => {
  it('unions groups on the named port and deduplicates; equal sets compare equal in any order', () => {
    const a = sliceGroup(
      slice([{ addresses: ['10.0.0.2'] }, { addresses: ['10.0.0.1'] }], [{ name: 'http', port: 80 }]),
    );
    const b = sliceGroup(
      slice([{ addresses: ['10.0.0.2'] }, { addresses: ['10.0.0.3'] }], [{ name: 'http', port: 80 }]),
    );
    const other = sliceGroup(slice([{ addresses: ['10.0.0.9'] }], [{ name: 'grpc', port: 90 }]));
    const both = addressesFor([a, b, other], 'http');
    expect(hp(both)).toEqual(['10.0.0.1:80', '10.0.0.2:80', '10.0.0.3:80']);
    expect(sameAddressSet(addressSet([a, b, other], 'http'), addressSet([b, a], 'http'))).toBe(true);
    expect(sameAddressSet(addressSet([a], 'http'), addressSet([b], 'http'))).toBe(false);
  });

  it('keeps one pod on two ports when its named port differs between slices', () => {
    const a = sliceGroup(slice([{ addresses: ['10.0.0.1'] }], [{ name: 'http', port: 8080 }]));
    const b = sliceGroup(slice([{ addresses: ['10.0.0.2'] }], [{ name: 'http', port: 8081 }]));
    expect(hp(addressesFor([a, b], 'http'))).toEqual(['10.0.0.1:8080', '10.0.0.2:8081']);
  });
});

describe('endpointsGroups (v1 Endpoints)', () => {
  it('reads addresses × ports per subset, never notReadyAddresses; null subsets are no groups', () => {
    const groups = endpointsGroups({
      subsets: [
        {
          addresses: [{ ip: '10.0.0.1', nodeName: 'n1' }],
          notReadyAddresses: [{ ip: '10.0.0.2' }],
          ports: [{ name: 'http', port: 8080 }],
        },
        { addresses: null, ports: [{ name: 'http', port: 8080 }] },
      ],
    });
    expect(hp(addressesFor(groups, 'http'))).toEqual(['10.0.0.1:8080']);
    expect(endpointsGroups({ subsets: null })).toEqual([]);
    expect(endpointsGroups({})).toEqual([]);
  });
});
