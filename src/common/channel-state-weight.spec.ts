import { StateCache } from './channel-state-weight';

describe('StateCache', () => {
  const item = (weight: number) => ({ weight });
  const cache = () => new StateCache<{ weight: number }>(10, 12, (v) => v.weight);

  it('given entries heavier together than the bound, then the least recently used goes first', () => {
    const c = cache();
    const [a, b, d] = [item(5), item(5), item(5)];
    c.set('a', a);
    c.set('b', b);
    c.get('a');
    c.set('d', d); // 15 > 12: b, least recently used, goes
    expect([c.get('a'), c.get('b'), c.get('d')]).toEqual([a, undefined, d]);
  });

  it('given an entry that grew in place, when set again, then its new weight counts', () => {
    const c = cache();
    const [a, b] = [item(5), item(5)];
    c.set('a', a);
    c.set('b', b);
    b.weight = 8;
    c.set('b', b); // 5 + 8 > 12: a goes
    expect([c.has('a'), c.get('b')]).toEqual([false, b]);
  });

  it('given an entry heavier than the whole bound, then it is kept aside, not dropped, and costs the others nothing', () => {
    const c = cache();
    const [light, heavy] = [item(11), item(13)];
    c.set('light', light);
    c.set('heavy', heavy);
    expect([c.get('light'), c.get('heavy')]).toEqual([light, heavy]);
    expect([...c.values()]).toEqual([light, heavy]);
    heavy.weight = 2; // shrunk (a rebuilt entry): back among the others, and the light one goes
    c.set('heavy', heavy);
    expect([c.has('light'), c.get('heavy')]).toEqual([false, heavy]);
  });

  it('given more entries heavier than the bound than it keeps aside, then the least recently used of them goes', () => {
    const c = cache();
    const [x, y, z] = [item(20), item(30), item(40)];
    c.set('x', x);
    c.set('y', y);
    c.get('x');
    c.set('z', z);
    expect([c.get('x'), c.get('y'), c.get('z')]).toEqual([x, undefined, z]);
    c.delete('x');
    c.clear();
    expect(c.has('z')).toBe(false);
  });
});
