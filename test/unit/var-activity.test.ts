/**
 * Var and Activity: observation is shared and lazy, constants stay synchronous, and failures
 * and pending states flow through the combinators as values.
 */
import { describe, expect, it } from 'vitest';
import { Activity, Var } from '../../src/index.js';
import { parseJavaInt } from '../../src/namers/java-int.js';

describe('Var', () => {
  it('keeps constants constant through map, flatMap and collect', () => {
    const v = Var.value(2)
      .map((x) => x * 3)
      .flatMap((x) => Var.value(x + 1));
    expect(v.isConstant).toBe(true);
    expect(v.sample()).toBe(7);
    expect(Var.collect([Var.value(1), Var.value(2)]).isConstant).toBe(true);
  });

  it('starts an async source on first observe, shares it, and stops it after the last close', () => {
    let starts = 0;
    let stops = 0;
    let push: (n: number) => void = () => {};
    const source = Var.async(0, (set) => {
      starts++;
      push = set;
      return { close: () => stops++ };
    });
    const doubled = source.map((n) => n * 2);
    const a: number[] = [];
    const b: number[] = [];
    const subA = doubled.observe((n) => a.push(n));
    const subB = doubled.observe((n) => b.push(n));
    push(1);
    push(1);
    push(2);
    subA.close();
    push(3);
    subB.close();
    subB.close();
    expect([starts, stops]).toEqual([1, 1]);
    expect(a).toEqual([0, 2, 4]);
    expect(b).toEqual([0, 2, 4, 6]);
  });

  it('switches flatMap to the newest inner var and closes the old one', () => {
    const outer = Var.cell('a');
    const inners = { a: Var.cell(1), b: Var.cell(10) };
    const seen: number[] = [];
    const sub = outer.flatMap((k) => inners[k as 'a' | 'b']).observe((n) => seen.push(n));
    inners.a.set(2);
    outer.set('b');
    inners.a.set(3);
    inners.b.set(11);
    sub.close();
    expect(seen).toEqual([1, 2, 10, 11]);
  });

  it('collects many vars into one array, emitting once per change', () => {
    const x = Var.cell(1);
    const y = Var.cell(2);
    const seen: number[][] = [];
    const sub = Var.collect([x, y]).observe((v) => seen.push(v));
    y.set(3);
    sub.close();
    expect(seen).toEqual([
      [1, 2],
      [1, 3],
    ]);
  });
});

describe('Activity', () => {
  it('maps ok values, turns exceptions into failures, and passes pending through', () => {
    expect(
      Activity.value(1)
        .map((x) => x + 1)
        .sample(),
    ).toEqual({ status: 'ok', value: 2 });
    const boom = Activity.value(1).map((): number => {
      throw new Error('boom');
    });
    expect(boom.sample()).toMatchObject({ status: 'failed', error: { message: 'boom' } });
    expect((Activity.pending as Activity<number>).map((x) => x).sample()).toEqual({ status: 'pending' });
    expect(boom.handle(() => 0).sample()).toEqual({ status: 'ok', value: 0 });
  });

  it('collects: first failure wins over pending, pending over ok', () => {
    const failure = Activity.exception(new Error('x'));
    expect(Activity.collect([Activity.value(1), Activity.pending, failure]).sample().status).toBe('failed');
    expect(Activity.collect([Activity.value(1), Activity.pending]).sample().status).toBe('pending');
    expect(Activity.collect([Activity.value(1), Activity.value(2)]).sample()).toEqual({ status: 'ok', value: [1, 2] });
  });

  it('toPromise waits for the first settled state', async () => {
    const cell = Var.cell<{ status: 'pending' } | { status: 'ok'; value: string }>({ status: 'pending' });
    const p = new Activity(cell).toPromise();
    cell.set({ status: 'ok', value: 'done' });
    await expect(p).resolves.toBe('done');
    await expect(Activity.exception(new Error('nope')).toPromise()).rejects.toThrow('nope');
  });
});

describe("Java's String.toInt for ports", () => {
  it.each([
    ['8080', 8080],
    ['0080', 80],
    ['-1', -1],
    ['+5', 5],
    ['\u0661\u0662', 12],
    ['2147483647', 2147483647],
  ])('reads %s as %d', (text, n) => expect(parseJavaInt(text)).toBe(n));
  it.each(['', '-', '80a', '1.0', '2147483648', ' 80'])('rejects %j', (text) => expect(parseJavaInt(text)).toBeNull());
});
