/**
 * The namer contract run against `/$/inet` (docs/namers.md#inet-and-fixedinet). Every
 * `/<host>/<port>` is a name, so inet has no unknown names (an unresolvable host is a Bound whose
 * Addr is Neg, not a Neg tree) and no way to change a name's endpoints short of changing DNS; those
 * cases skip. What applies: a name binds to a leaf with id `/$/inet/<host>/<port>` and the
 * residual, directly and through a dtab, with the endpoint as its Addr.
 */
import { isIP } from 'node:net';
import { Path } from '../../src/index.js';
import { InetNamer } from '../../src/namers/inet.js';
import { InetResolver } from '../../src/namers/inet-resolver.js';
import { runNamerConformance } from './namer.conformance.js';

runNamerConformance('/$/inet', async () => ({
  namer: new InetNamer(new InetResolver()),
  prefix: Path.read('/$/inet'),
  mount: 'kind',
  async makeKnown(_name, addrs) {
    // An inet name is its one endpoint; IP literals keep the test off the network.
    const [only, ...rest] = addrs;
    if (only === undefined || rest.length > 0 || isIP(only.host) === 0)
      throw new Error('an inet name is exactly one IP literal and port');
    return Path.utf8(only.host, String(only.port));
  },
  async cleanup() {},
}));
