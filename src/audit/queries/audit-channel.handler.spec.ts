import { eventHash } from '../../protocol';
import type { EventStore } from '../../store/event-store.port';
import { NegotiationBuilder, newNotarySeed } from '../../../test/support/negotiation-builder';
import { storeLog, useTmpSqliteStore } from '../../../test/support/store-log';
import { AuditChannelHandler, AUDITS_AT_ONCE, AUDITS_WAITING } from './audit-channel.handler';
import { AuditChannelQuery } from './audit-channel.query';

describe('AuditChannelHandler', () => {
  const tmp = useTmpSqliteStore();

  it(`given more audits at once than ${AUDITS_AT_ONCE}, then at most ${AUDITS_AT_ONCE} replay together, and each answers its channel`, async () => {
    const channels = Array.from({ length: 5 }, () => NegotiationBuilder.open({ notarySeed: newNotarySeed() }));
    for (const n of channels) {
      n.message('ua.lead', ['ru', 'ua'], 'x');
      await storeLog(tmp.store, n, 0);
    }
    // The real store, its reads held at a gate and counted while they are open.
    let open = 0;
    let most = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const store = Object.create(tmp.store) as EventStore;
    store.readStream = async (...args) => {
      most = Math.max(most, ++open);
      await gate;
      open--;
      return tmp.store.readStream(...args);
    };
    const handler = new AuditChannelHandler(store);
    const audits = channels.map((n) => handler.execute(new AuditChannelQuery(n.channel)));
    await new Promise((r) => setTimeout(r, 50));
    expect(open).toBe(AUDITS_AT_ONCE);
    release();
    const reports = await Promise.all(audits);
    expect(most).toBe(AUDITS_AT_ONCE);
    expect(reports).toEqual(channels.map((n) => ({ ok: true, events: 2, head: eventHash(n.log[1]), violations: [] })));
  });

  it(`given ${AUDITS_AT_ONCE} audits running and ${AUDITS_WAITING} waiting, then one more is 503 unavailable`, async () => {
    const n = NegotiationBuilder.open({ notarySeed: newNotarySeed() });
    await storeLog(tmp.store, n, 0);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const store = Object.create(tmp.store) as EventStore;
    store.readStream = async (...args) => {
      await gate;
      return tmp.store.readStream(...args);
    };
    const handler = new AuditChannelHandler(store);
    const accepted = Array.from({ length: AUDITS_AT_ONCE + AUDITS_WAITING }, () => handler.execute(new AuditChannelQuery(n.channel)));
    await new Promise((r) => setTimeout(r, 50));
    await expect(handler.execute(new AuditChannelQuery(n.channel))).rejects.toMatchObject({ status: 503, code: 'unavailable' });
    release();
    expect((await Promise.all(accepted)).every((r) => r.ok)).toBe(true);
  });
});
