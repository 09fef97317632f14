/**
 * OverridePolicy.judge on its own (no sockets): what a leaf reached through an override may be,
 * by default and under allowPrefixes / allowDestinations, which apply to the bind as it happens.
 */
import { describe, expect, it } from 'vitest';
import { Dtab, Path } from '../../src/index.js';
import { defaultInterpreter } from '../../src/namers/default-interpreter.js';
import { OverridePolicy } from '../../src/router/core/dtab-override-policy.js';

const interpreter = defaultInterpreter();
const base = Dtab.read(
  '/srv/web => /$/inet/127.0.0.1/8080 ; /srv/v2 => /$/inet/127.0.0.1/8081 ; /svc/web => /srv/web ; /ext => /$/inet/127.0.0.1',
);
const web = Path.read('/svc/web');

function judge(local: string, config: Partial<ConstructorParameters<typeof OverridePolicy>[0]> = {}) {
  const policy = new OverridePolicy(
    { enabled: true, allowPrefixes: null, allowDestinations: null, ...config },
    interpreter,
  );
  return () => policy.judge(base, Dtab.read(local), web);
}

describe('the default rule', () => {
  it('allows names the base dtab spells, and refuses addresses the override wrote', () => {
    expect(judge('/svc/web => /srv/v2')().ids).toEqual(new Set(['/$/inet/127.0.0.1/8081', '/$/inet/127.0.0.1/8080']));
    expect(judge('/svc/web => /ext/9')).toThrow(/not an allowed destination/);
    expect(judge('/svc/web => /a/$/inet/127.0.0.1/9 ; /a => /')).toThrow(/not an allowed destination/);
    expect(judge('/svc/web => /$/io.buoyant.hostportPfx/$/inet:9')).toThrow(/\/\$\/inet\/9,/);
    expect(judge('/svc/web => /$/io.buoyant.http.domainToPathPfx/$/9.localhost.inet')).toThrow(
      /\/\$\/inet\/localhost\/9/,
    );
    // `/$/fail` and `/$/nil` reach nothing.
    expect(judge('/svc/web => /$/fail | /$/nil')).not.toThrow();
  });

  it('refuses every override when overrides are off', () => {
    expect(judge('/svc/web => /srv/v2', { enabled: false })).toThrow(/disabled/);
  });
});

describe('allowPrefixes and allowDestinations', () => {
  it('judge only the entries that take part, by the prefix they rewrite', () => {
    expect(judge('/svc/web => /srv/v2 ; /other => /x', { allowPrefixes: ['/svc'] })).not.toThrow();
    expect(judge('/svc/web => /a/srv/v2 ; /a => /', { allowPrefixes: ['/svc'] })).toThrow(/not an allowed prefix/);
  });

  it('replace the default rule: every path an override entry produced must be within them', () => {
    expect(judge('/svc/web => /srv/v2', { allowDestinations: ['/srv'] })).not.toThrow();
    expect(judge('/svc/web => /$/inet/127.0.0.1/9', { allowDestinations: ['/$/inet/127.0.0.1'] })).not.toThrow();
    expect(judge('/svc/web => /srv/x ; /srv/x => /$/inet/127.0.0.1/9', { allowDestinations: ['/srv'] })).toThrow(
      /not an allowed destination/,
    );
  });
});
