import { NegotiationBuilder, newNotarySeed } from '../../test/support/negotiation-builder';
import { storeLog, useTmpSqliteStore } from '../../test/support/store-log';
import { ProjectionStateCache } from './projection-state.cache';

describe("ProjectionStateCache", () => {
  const tmp = useTmpSqliteStore();
  const notarySeed = newNotarySeed();

  it('given states heavier together than its weight bound, then the least recently used is folded again, though fewer channels are cached than its capacity', async () => {
    const [a, b, c] = [0, 1, 2].map(() => NegotiationBuilder.open({ notarySeed })); // 4 participants each: weight 5
    for (const n of [a, b, c]) await storeLog(tmp.store, n, 0);
    const cache = new ProjectionStateCache(tmp.store, { maxChannels: 100, maxWeight: 12 });
    const stateA = await cache.withLatest(a.channel, async (s) => s);
    const stateB = await cache.withLatest(b.channel, async (s) => s);
    await cache.withLatest(c.channel, async (s) => s); // 15 > 12: drops a
    expect(await cache.withLatest(b.channel, async (s) => s)).toBe(stateB);
    expect(await cache.withLatest(a.channel, async (s) => s)).not.toBe(stateA);
  });

  it('given a cached state that grew by a fold, then its new weight counts', async () => {
    const [a, b] = [0, 1].map(() => NegotiationBuilder.open({ notarySeed }));
    for (const n of [a, b]) await storeLog(tmp.store, n, 0);
    const cache = new ProjectionStateCache(tmp.store, { maxChannels: 100, maxWeight: 12 });
    const stateB = await cache.withLatest(b.channel, async (s) => s);
    const stateA = await cache.withLatest(a.channel, async (s) => s); // 5 + 5
    for (let i = 0; i < 3; i++) a.request('ua.lead', 'ru');
    await storeLog(tmp.store, a, 1);
    expect(await cache.withLatest(a.channel, async (s) => s)).toBe(stateA); // folded in place to 8: 8 + 5 > 12, b goes
    expect(await cache.withLatest(b.channel, async (s) => s)).not.toBe(stateB);
  });

  it('given a state heavier than the whole weight bound, then it stays cached: not folded again from its stream at every use', async () => {
    const [a, b] = [0, 1].map(() => NegotiationBuilder.open({ notarySeed }));
    for (let i = 0; i < 8; i++) a.request('ua.lead', 'ru'); // weight 13 > 12
    for (const n of [a, b]) await storeLog(tmp.store, n, 0);
    const cache = new ProjectionStateCache(tmp.store, { maxChannels: 100, maxWeight: 12 });
    const heavy = await cache.withLatest(a.channel, async (s) => s);
    const light = await cache.withLatest(b.channel, async (s) => s);
    expect(await cache.withLatest(a.channel, async (s) => s)).toBe(heavy);
    expect(await cache.withLatest(b.channel, async (s) => s)).toBe(light);
  });
});
