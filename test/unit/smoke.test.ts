import { describe, expect, it } from 'vitest';
import { Dtab, NameTree, Path } from '../../src/index.js';

describe('smoke', () => {
  it('reads and shows a dtab', () => {
    expect(Dtab.read('/svc => /srv ; /srv/a => 1 * /b & 2 * /c').show()).toBe('/svc=>/srv;/srv/a=>/b & 2*/c');
    expect(NameTree.show(Dtab.read('/a=>/b').lookup(Path.read('/a/x')))).toBe('/b/x');
  });
});
