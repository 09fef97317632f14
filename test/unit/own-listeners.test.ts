/**
 * The router's own listeners in every spelling a bound address can take, and only those.
 */
import { describe, expect, it } from 'vitest';
import { canonicalHost, OwnListeners } from '../../src/router/core/own-listeners.js';

describe('OwnListeners', () => {
  it('knows a loopback listener by every loopback spelling and the unspecified address', () => {
    const own = new OwnListeners();
    own.add('127.0.0.1', 4140);
    for (const host of [
      '127.0.0.1',
      '127.0.0.2',
      '127.1',
      '2130706433',
      '0x7f.1',
      '0177.0.0.1',
      'localhost',
      'LOCALHOST.',
      'web.localhost',
      '::1',
      '[::1]',
      '0:0:0:0:0:0:0:1',
      '::ffff:127.0.0.1',
      '::ffff:7f00:1',
      '0.0.0.0',
      '0',
      '::',
    ]) {
      expect({ host, own: own.isOwn(host, 4140) }).toEqual({ host, own: true });
    }
    expect(own.isOwn('127.0.0.1', 4141)).toBe(false);
    expect(own.isOwn('10.0.0.7', 4140)).toBe(false);
    expect(own.isOwn('example.com', 4140)).toBe(false);
  });

  it('takes a listener on 0.0.0.0 or :: to be every local address with its port', () => {
    const own = new OwnListeners();
    own.add('0.0.0.0', 9990);
    expect(own.isOwn('127.0.0.5', 9990)).toBe(true);
    expect(own.isOwn('::1', 9990)).toBe(true);
    expect(own.isOwn('203.0.113.9', 9990)).toBe(false);
  });

  it('checks an address set once per value', () => {
    const own = new OwnListeners();
    own.add('127.0.0.1', 4140);
    const addr = {
      type: 'bound' as const,
      addresses: [
        { host: '10.0.0.1', port: 4140, meta: {} },
        { host: 'localhost', port: 4140, meta: {} },
      ],
      meta: {},
    };
    expect(own.firstOwn(addr)).toBe('localhost:4140');
    expect(own.firstOwn({ type: 'neg' })).toBeNull();
  });

  it('spells IPv4 in dotted quads and IPv6 compressed', () => {
    expect(canonicalHost('0x7f000001')).toBe('127.0.0.1');
    expect(canonicalHost('[2001:DB8:0:0:0:0:0:1]')).toBe('2001:db8::1');
    expect(canonicalHost('256.1.1.1')).toBe('256.1.1.1');
  });
});
