/**
 * The built package (dist/, made by `npm run build`, which `npm test` runs first) exports the
 * public API under exactly the documented names, and works when imported by a plain Node process.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const dist = join(import.meta.dirname, '..', '..', 'dist', 'index.js');

describe.skipIf(!existsSync(dist))('package exports (dist/index.js)', () => {
  it('exposes the documented API to a separate Node process', () => {
    const script = `
      const m = await import(${JSON.stringify(dist)});
      const { Path, Prefix, NameTree, Dentry, Dtab, DtabSyntaxError, bind } = m;
      const out = {};
      out.path = Path.read('/a/\\\\x2a').show();
      out.prefix = Prefix.read('/a/*').show();
      out.tree = NameTree.show(NameTree.read('1*/a & 2*/b | ~'));
      out.simplified = NameTree.show(NameTree.simplify(NameTree.read('~ | /ok | !')));
      out.evaluate = NameTree.evaluate(NameTree.read('/a & /b')).map((p) => p.show());
      out.none = NameTree.evaluate(NameTree.read('! | /a'));
      out.dentry = Dentry.read('/a => /b').show();
      const dtab = Dtab.read('/svc => /srv; /srv/web => /$/inet/127.0.0.1/8080');
      out.dtab = dtab.show();
      out.lookup = NameTree.show(dtab.lookup(Path.read('/svc/web')));
      out.concat = dtab.concat(Dtab.read('/x=>/y')).show();
      const bound = await bind(dtab, Path.read('/svc/web/extra'));
      out.bound = NameTree.show(bound);
      out.leaf = [bound.value.id.show(), bound.value.residual.show(), bound.id.show(), bound.residual.show()];
      try { Dtab.read('/a => '); } catch (e) { out.error = [e instanceof DtabSyntaxError, e.line, e.column, e.found]; }
      console.log(JSON.stringify(out));
    `;
    const out = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' }));
    expect(out).toEqual({
      path: '/a/\\x2a',
      prefix: '/a/*',
      tree: '/a & 2*/b | ~',
      simplified: '/ok | !',
      evaluate: ['/a', '/b'],
      none: null,
      dentry: '/a=>/b',
      dtab: '/svc=>/srv;/srv/web=>/$/inet/127.0.0.1/8080',
      lookup: '/srv/web',
      concat: '/svc=>/srv;/srv/web=>/$/inet/127.0.0.1/8080;/x=>/y',
      bound: '/$/inet/127.0.0.1/8080',
      leaf: ['/$/inet/127.0.0.1/8080', '/extra', '/$/inet/127.0.0.1/8080', '/extra'],
      error: [true, 1, 7, 'end of input'],
    });
  });
});
