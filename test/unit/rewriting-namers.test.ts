/**
 * linkerd's rewriting `/$/` namers (docs/namers.md#rewriting-namers): the rewritten path, Neg for
 * names of the wrong shape (so dtab fallback works), and binding continuing through the dtab
 * afterwards.
 */
import { describe, expect, it } from 'vitest';
import { bind, Dtab, defaultInterpreter, NameTree, Path } from '../../src/index.js';

const interpreter = defaultInterpreter();

function rewrite(path: string): string {
  const state = interpreter.lookupNamers(Path.read(path)).sample();
  if (state.status !== 'ok') throw new Error(`lookup ${state.status}`);
  return NameTree.show(state.value as NameTree<Path>);
}

describe('rewriting namers', () => {
  it.each([
    ['/$/io.buoyant.http.domainToPathPfx/pfx/a.b.c/rest', '/pfx/c/b/a/rest'],
    ['/$/io.buoyant.http.domainToPath/web.default.svc', '/svc/default/web'],
    ['/$/io.buoyant.http.subdomainOfPfx/buoyant.io/pfx/foo.buoyant.io/x', '/pfx/foo/x'],
    ['/$/io.buoyant.http.subdomainOfPfx/buoyant.io/pfx/foo.buoyant.io:8080', '/pfx/foo'],
    ['/$/io.buoyant.http.subdomainOf/buoyant.io/foo.buoyant.io/x', '/foo/x'],
    ['/$/io.buoyant.hostportPfx/pfx/host:8080/x', '/pfx/host/8080/x'],
    ['/$/io.buoyant.porthostPfx/pfx/host:http/x', '/pfx/http/host/x'],
    ['/$/io.buoyant.http.anyMethodPfx/pfx/GET/x', '/pfx/x'],
    ['/$/io.buoyant.http.anyMethod/POST/svc/name', '/svc/name'],
    ['/$/io.buoyant.http.anyHostPfx/pfx/foo.buoyant.io/x', '/pfx/x'],
    ['/$/io.buoyant.http.anyHost/10.0.0.1:80/x', '/x'],
  ])('%s → %s', (from, to) => expect(rewrite(from)).toBe(to));

  it.each([
    '/$/io.buoyant.http.anyMethodPfx/pfx/get/x',
    '/$/io.buoyant.http.subdomainOfPfx/buoyant.io/pfx/buoyant.io',
    '/$/io.buoyant.http.subdomainOfPfx/buoyant.io/pfx/foo.example.com',
    '/$/io.buoyant.hostportPfx/pfx/host',
    '/$/io.buoyant.hostportPfx/pfx/host:Bad_Port',
    '/$/io.buoyant.http.domainToPathPfx/pfx',
    '/$/io.buoyant.http.domainToPathPfx',
  ])('%s is Neg', (path) => expect(rewrite(path)).toBe('~'));

  it('keeps binding after the rewrite, and falls back when the rewrite is Neg', async () => {
    const dtab = Dtab.read(
      '/grpc/default/web => /$/inet/127.0.0.1/7; /svc => /$/inet/127.0.0.1/9; /svc => /$/io.buoyant.http.domainToPathPfx/grpc',
    );
    expect(NameTree.show(await bind(dtab, Path.read('/svc/web.default')))).toBe('/$/inet/127.0.0.1/7');
    expect(NameTree.show(await bind(dtab, Path.read('/svc/we%b')))).toBe('/$/inet/127.0.0.1/9');
  });

  it('binds linkerd rinet port-first', async () => {
    const t = await bind(Dtab.empty, Path.read('/$/io.buoyant.rinet/8080/127.0.0.1/rest'));
    if (t.type !== 'leaf') throw new Error('not a leaf');
    expect([t.value.id.show(), t.value.residual.show()]).toEqual(['/$/io.buoyant.rinet/8080/127.0.0.1', '/rest']);
    expect(t.value.addr.sample()).toMatchObject({ type: 'bound', addresses: [{ host: '127.0.0.1', port: 8080 }] });
    expect(NameTree.show(await bind(Dtab.empty, Path.read('/$/io.buoyant.rinet/8080')))).toBe('~');
  });
});
