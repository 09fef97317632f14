/**
 * The bind budget, without sockets: sharing identical sub-paths keeps ordinary binds exact (the
 * depth limit answers as before), a doubling dtab fails fast with the budget error in bind and
 * in delegate, and the dentry count taken before parsing agrees with the parser on every noisy
 * spelling of a random dtab.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { countDentries, readL5dDtabHeaders } from '../../src/dtab/request-dtab.js';
import { Dtab, Path } from '../../src/index.js';
import { defaultInterpreter } from '../../src/namers/default-interpreter.js';
import { delegate } from '../../src/naming/delegator.js';
import { dtab as dtabArb, spellDtab } from '../helpers/dtab-arbitraries.js';

function doubling(k: number): Dtab {
  const lines = ['/svc/web => /l0'];
  for (let i = 0; i < k; i++) lines.push(`/l${i} => /l${i + 1} & /l${i + 1}`);
  lines.push(`/l${k} => /$/inet/127.0.0.1/8080`);
  return Dtab.read(lines.join(';'));
}

describe('the bind budget', () => {
  it('binds a doubling dtab within the budget, and fails past it in milliseconds', async () => {
    const interpreter = defaultInterpreter();
    const small = await interpreter.bind(doubling(6), Path.read('/svc/web')).toPromise();
    expect(small.type).toBe('union');
    for (const k of [12, 40, 90]) {
      const started = performance.now();
      await expect(interpreter.bind(doubling(k), Path.read('/svc/web')).toPromise()).rejects.toThrow(
        /^Bind budget exceeded: more than 1000 tree nodes in one bind$/,
      );
      await expect(delegate(interpreter, doubling(k), Path.read('/svc/web'))).rejects.toThrow(
        /^Bind budget exceeded: more than 1000 lookups in one bind$/,
      );
      expect(performance.now() - started).toBeLessThan(1000);
    }
  });

  it('counts lookups: many distinct paths fail past maxLookups, with the limit configurable', async () => {
    const wide = Dtab.read(
      `/svc/web => ${Array.from({ length: 60 }, (_, i) => `/w${i}`).join(' | ')} ; /w59 => /$/inet/127.0.0.1/1`,
    );
    await expect(
      defaultInterpreter({ maxLookups: 1000 }).bind(wide, Path.read('/svc/web')).toPromise(),
    ).resolves.toBeTruthy();
    await expect(defaultInterpreter({ maxLookups: 30 }).bind(wide, Path.read('/svc/web')).toPromise()).rejects.toThrow(
      /more than 30 lookups/,
    );
  });

  it('leaves the depth limit exactly as it was: a loop still fails with max depth, not the budget', async () => {
    const loop = Dtab.read('/a => /b ; /b => /a');
    await expect(defaultInterpreter().bind(loop, Path.read('/a')).toPromise()).rejects.toThrow(
      /^Max recursion level: 100 reached in Namer lookup$/,
    );
    const shared = Dtab.read('/a => /b & /b ; /b => /c | /c ; /c => /a');
    await expect(defaultInterpreter().bind(shared, Path.read('/a')).toPromise()).rejects.toThrow(/Max recursion level/);
  });
});

describe('countDentries', () => {
  it('agrees with the parser on every noisy spelling of a random dtab', () => {
    fc.assert(
      fc.property(dtabArb, fc.gen(), (d, g) => {
        const text = spellDtab(g, d);
        expect(countDentries(text), JSON.stringify(text)).toBe(d.size);
      }),
      { numRuns: 1500, seed: 7 },
    );
  });

  it('refuses 800 tiny entries before parsing them', () => {
    const text = Array.from({ length: 800 }, (_, i) => `/a${i}=>/b`).join(';');
    const started = performance.now();
    expect(() => readL5dDtabHeaders([['l5d-dtab', text]])).toThrow('Dtab has 800 dentries, more than the limit of 100');
    expect(performance.now() - started).toBeLessThan(50);
  });
});
