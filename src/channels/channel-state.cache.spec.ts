import { NegotiationBuilder, newNotarySeed } from '../../test/support/negotiation-builder';
import { storeLog, useTmpSqliteStore } from '../../test/support/store-log';
import { ChannelStateCache } from './channel-state.cache';

describe('ChannelStateCache', () => {
  const tmp = useTmpSqliteStore();
  const notarySeed = newNotarySeed();

  it('given a channel in the store, when first asked, then it is folded from the store', async () => {
    const n = NegotiationBuilder.open({ notarySeed });
    n.request('ua.lead', 'ru');
    await storeLog(tmp.store, n, 0);
    const state = await new ChannelStateCache(tmp.store).current(n.channel);
    expect({ seq: state.nextSeq, head: state.head, requests: state.requests.size }).toEqual({ seq: 2, head: n.state.head, requests: 1 });
  });

  it('given a cached state and appends by another writer, then current() keeps the cached one and catchUp() folds only the new events', async () => {
    const n = NegotiationBuilder.open({ notarySeed });
    await storeLog(tmp.store, n, 0);
    const cache = new ChannelStateCache(tmp.store);
    const cached = await cache.current(n.channel);
    n.message('ua.lead', ['ru', 'ua'], 'one');
    n.message('ru.lead', ['ru', 'ua'], 'two');
    await storeLog(tmp.store, n, 1);
    expect((await cache.current(n.channel)).nextSeq).toBe(1);
    const caughtUp = await cache.catchUp(n.channel);
    expect(caughtUp).toBe(cached); // the same object, evolved in place
    expect({ seq: caughtUp.nextSeq, head: caughtUp.head }).toEqual({ seq: 3, head: n.state.head });
  });

  it('given more channels than its capacity, then the least recently used is dropped and later reloaded from the store', async () => {
    const [a, b, c] = [0, 1, 2].map(() => NegotiationBuilder.open({ notarySeed }));
    for (const n of [a, b, c]) await storeLog(tmp.store, n, 0);
    const cache = new ChannelStateCache(tmp.store, 2);
    const stateA = await cache.current(a.channel);
    const stateB = await cache.current(b.channel);
    await cache.current(a.channel); // a is now the most recent
    const stateC = await cache.current(c.channel); // drops b
    expect(await cache.current(a.channel)).toBe(stateA);
    const reloadedB = await cache.current(b.channel); // drops c
    expect(reloadedB).not.toBe(stateB);
    expect({ seq: reloadedB.nextSeq, head: reloadedB.head }).toEqual({ seq: 1, head: b.state.head });
    expect(await cache.current(c.channel)).not.toBe(stateC);
  });

  it('given states heavier together than its weight bound, then the least recently used is dropped though fewer channels are cached than its capacity', async () => {
    const [a, b, c] = [0, 1, 2].map(() => NegotiationBuilder.open({ notarySeed })); // 4 participants each: weight 5
    for (const n of [a, b, c]) await storeLog(tmp.store, n, 0);
    const cache = new ChannelStateCache(tmp.store, 100, 12);
    const stateA = await cache.current(a.channel);
    const stateB = await cache.current(b.channel);
    await cache.current(c.channel); // 15 > 12: drops a
    expect(await cache.current(b.channel)).toBe(stateB);
    expect(await cache.current(a.channel)).not.toBe(stateA);
  });

  it('given a cached state that grows as events are applied, then its weight is taken again', async () => {
    const [a, b] = [0, 1].map(() => NegotiationBuilder.open({ notarySeed }));
    for (const n of [a, b]) await storeLog(tmp.store, n, 0);
    const cache = new ChannelStateCache(tmp.store, 100, 12);
    const stateA = await cache.current(a.channel);
    const stateB = await cache.current(b.channel); // 5 + 5
    cache.applied(a.channel, stateA, a.request('ua.lead', 'ru')); // 6 + 5 fits
    expect(await cache.current(b.channel)).toBe(stateB);
    cache.applied(a.channel, stateA, a.request('ua.lead', 'ru')); // 7 + 5 fits
    cache.applied(a.channel, stateA, a.request('ua.lead', 'ru')); // 8 + 5 does not: b, the least recently used, goes
    expect(await cache.current(a.channel)).toBe(stateA);
    expect(await cache.current(b.channel)).not.toBe(stateB);
  });

  it('given a channel that does not exist, then its state is the initial one, and it takes no place in the cache', async () => {
    const a = NegotiationBuilder.open({ notarySeed });
    await storeLog(tmp.store, a, 0);
    const cache = new ChannelStateCache(tmp.store, 2);
    const stateA = await cache.current(a.channel);
    for (let i = 0; i < 5; i++) {
      const state = await cache.current(`00000000-0000-4000-8000-00000000000${i}`);
      expect(state.nextSeq).toBe(0);
    }
    expect(await cache.current(a.channel)).toBe(stateA); // not pushed out by the unknown ones
  });
});
