import { eventHash } from '../../protocol';
import type { EventStore } from '../../store/event-store.port';
import { NegotiationBuilder, newNotarySeed } from '../../../test/support/negotiation-builder';
import { storeLog, useTmpSqliteStore } from '../../../test/support/store-log';
import { AuditChannelHandler, AUDITS_AT_ONCE, AUDITS_WAITING } from './audit-channel.handler';
import { AuditChannelQuery } from './audit-channel.query';

/** The real store, its reads held at a gate until `release()`, and counted. */
function gatedStore(real: EventStore): { store: EventStore; release: () => void; reads: { started: number; open: number; most: number } } {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const reads = { started: 0, open: 0, most: 0 };
  const store = Object.create(real) as EventStore;
  store.readStream = async (...args) => {
    reads.started++;
    reads.most = Math.max(reads.most, ++reads.open);
    await gate;
    reads.open--;
    return real.readStream(...args);
  };
  return { store, release, reads };
}

describe('AuditChannelHandler', () => {
  const tmp = useTmpSqliteStore();

  it(`given more audits at once than ${AUDITS_AT_ONCE}, then at most ${AUDITS_AT_ONCE} replay together, and each answers its channel`, async () => {
    const channels = Array.from({ length: 5 }, () => NegotiationBuilder.open({ notarySeed: newNotarySeed() }));
    for (const n of channels) {
      n.message('ua.lead', ['ru', 'ua'], 'x');
      await storeLog(tmp.store, n, 0);
    }
    const { store, release, reads } = gatedStore(tmp.store);
    const handler = new AuditChannelHandler(store);
    const audits = channels.map((n) => handler.execute(new AuditChannelQuery(n.channel)));
    await new Promise((r) => setTimeout(r, 50));
    expect(reads.open).toBe(AUDITS_AT_ONCE);
    release();
    const reports = await Promise.all(audits);
    expect(reads.most).toBe(AUDITS_AT_ONCE);
    expect(reports).toEqual(channels.map((n) => ({ ok: true, events: 2, head: eventHash(n.log[1]), violations: [] })));
  });

  it(`given ${AUDITS_AT_ONCE} audits running and ${AUDITS_WAITING} waiting, then one more is 503 unavailable`, async () => {
    const n = NegotiationBuilder.open({ notarySeed: newNotarySeed() });
    await storeLog(tmp.store, n, 0);
    const { store, release } = gatedStore(tmp.store);
    const handler = new AuditChannelHandler(store);
    const accepted = Array.from({ length: AUDITS_AT_ONCE + AUDITS_WAITING }, () => handler.execute(new AuditChannelQuery(n.channel)));
    await new Promise((r) => setTimeout(r, 50));
    await expect(handler.execute(new AuditChannelQuery(n.channel))).rejects.toMatchObject({ status: 503, code: 'unavailable' });
    release();
    expect((await Promise.all(accepted)).every((r) => r.ok)).toBe(true);
  });

  it('given a waiting audit whose caller goes away, then it leaves the line: the next caller waits instead of getting 503, and it never replays', async () => {
    const n = NegotiationBuilder.open({ notarySeed: newNotarySeed() });
    await storeLog(tmp.store, n, 0);
    const { store, release, reads } = gatedStore(tmp.store);
    const handler = new AuditChannelHandler(store);
    const callers = Array.from({ length: AUDITS_AT_ONCE + AUDITS_WAITING }, () => new AbortController());
    const audits = callers.map((c) => handler.execute(new AuditChannelQuery(n.channel, c.signal)));
    await new Promise((r) => setTimeout(r, 50));
    callers[AUDITS_AT_ONCE].abort(); // the first in line leaves
    await expect(audits[AUDITS_AT_ONCE]).rejects.toMatchObject({ status: 499 });
    const late = handler.execute(new AuditChannelQuery(n.channel)); // accepted into the freed place
    release();
    const answered = await Promise.all([...audits.filter((_a, i) => i !== AUDITS_AT_ONCE), late]);
    expect(answered.every((r) => r.ok)).toBe(true);
    expect(reads.started).toBe(AUDITS_AT_ONCE + AUDITS_WAITING); // one read each: the one that left never replayed
  });

  it('given a running audit whose caller goes away, then it stops at its next page and its slot passes to the next in line', async () => {
    const n = NegotiationBuilder.open({ notarySeed: newNotarySeed() });
    await storeLog(tmp.store, n, 0);
    const { store, release } = gatedStore(tmp.store);
    const handler = new AuditChannelHandler(store);
    const first = new AbortController();
    const running = [handler.execute(new AuditChannelQuery(n.channel, first.signal))];
    for (let i = 1; i < AUDITS_AT_ONCE; i++) running.push(handler.execute(new AuditChannelQuery(n.channel)));
    const waiting = handler.execute(new AuditChannelQuery(n.channel));
    await new Promise((r) => setTimeout(r, 50));
    first.abort();
    release();
    await expect(running[0]).rejects.toMatchObject({ status: 499 });
    expect((await Promise.all([...running.slice(1), waiting])).every((r) => r.ok)).toBe(true);
  });
});
