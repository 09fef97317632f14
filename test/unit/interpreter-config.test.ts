/**
 * The router's interpreter keys: linkerd's `interpreter: {kind: io.l5d.namerd.http, dst, namespace}`
 * and switchyard's `namerd: {url, namespace, bind: true}` mean the same thing, and every mistake
 * around them is listed at once.
 */
import { describe, expect, it } from 'vitest';
import { routerConfig } from '../../src/config/router-config.js';

function problems(yaml: string): string {
  try {
    routerConfig(yaml);
  } catch (e) {
    return (e as Error).message;
  }
  return '';
}

describe('interpreter', () => {
  it('defaults to the router binding with its own namers', () => {
    expect(routerConfig('dtab: /svc => /$/inet/127.0.0.1\n').interpreter).toEqual({ kind: 'default' });
  });

  it('io.l5d.namerd.http takes dst as a URL or as /$/inet/<host>/<port>, and the base dtab from the same namespace', () => {
    const c = routerConfig(
      'interpreter:\n  kind: io.l5d.namerd.http\n  dst: /$/inet/127.0.0.1/4180\n  namespace: web\n',
    );
    expect(c.interpreter).toEqual({ kind: 'io.l5d.namerd.http', url: 'http://127.0.0.1:4180', namespace: 'web' });
    expect(c.baseDtab).toEqual({ kind: 'namerd', url: 'http://127.0.0.1:4180', namespace: 'web', cacheFile: null });
    const url = routerConfig('interpreter: {kind: io.l5d.namerd.http, dst: "http://namerd:4180"}\n');
    expect(url.interpreter).toEqual({ kind: 'io.l5d.namerd.http', url: 'http://namerd:4180', namespace: 'default' });
  });

  it('namerd.bind: true is the same as the interpreter, keeping namerd.cacheFile', () => {
    const c = routerConfig(
      'namerd:\n  url: http://127.0.0.1:4180\n  namespace: ns\n  cacheFile: /tmp/c\n  bind: true\n',
    );
    expect(c.interpreter).toEqual({ kind: 'io.l5d.namerd.http', url: 'http://127.0.0.1:4180', namespace: 'ns' });
    expect(c.baseDtab).toMatchObject({ kind: 'namerd', cacheFile: '/tmp/c' });
    expect(routerConfig('namerd:\n  url: http://127.0.0.1:4180\n').interpreter).toEqual({ kind: 'default' });
  });

  it('lists every mistake at once', () => {
    const message = problems(`interpreter:
  kind: io.l5d.namerd.http
  dst: namerd:4180
  extra: 1
dtab: /svc => /a
namers:
- kind: io.l5d.fs
  rootDir: /tmp
`);
    expect(message).toContain('interpreter.dst');
    expect(message).toContain('extra');
    expect(problems('interpreter: {kind: io.l5d.mesh, dst: "http://x:1"}\n')).toContain('interpreter.kind');
    expect(problems('interpreter: {kind: io.l5d.namerd.http}\n')).toContain('interpreter.dst');
    const both = problems('interpreter: {kind: io.l5d.namerd.http, dst: "http://x:1"}\ndtab: /svc => /a\n');
    expect(both).toContain('drop dtab');
    const namers = problems(
      'interpreter: {kind: io.l5d.namerd.http, dst: "http://x:1"}\nnamers:\n- kind: io.l5d.fs\n  rootDir: /tmp\n',
    );
    expect(namers).toContain('local namers would never be asked');
    expect(problems('dtab: /svc => /a\nnamerd:\n  bind: yes\n')).toContain('namerd.bind');
  });
});
