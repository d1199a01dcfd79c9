/**
 * Events in the store that no append made: written past the service (a restored or
 * tampered database), each one the rules refuse. The service must neither fold them as if
 * allowed nor let one channel's bad event stop the others: the read models and the key
 * directory stop that channel where its log breaks, appends to it fail, and every other
 * channel works on. Real HTTP on 127.0.0.1, SQLite and PostgreSQL.
 */
import { randomUUID } from 'node:crypto';
import { NegotiationBuilder } from '../support/negotiation-builder';
import { channelStream } from '../../src/store/event-store.port';
import type { Envelope } from '../../src/protocol';
import { serverFor, type StoreKind } from './service-harness';
import { post, signedGet, storedLines } from './service-test-kit';

describe.each(['sqlite', 'postgres'] as StoreKind[])('events stored past the checks, on %s', (kind) => {
  const suite = serverFor(kind);
  const { notarySeed } = suite;

  const postAll = async (n: NegotiationBuilder, envs: Envelope[] = n.log) => {
    for (const env of envs) expect((await post(suite.server.url, n.channel, env)).status).toBe(201);
  };
  /** Stores `env` as the channel's next event, past every check. */
  const storeDirectly = (n: NegotiationBuilder, env: Envelope) =>
    suite.server.store.append(channelStream(n.channel), [{ id: env.id, type: env.type, data: JSON.stringify(env) }], env.seq - 1);

  /** Polls until `probe` answers `want` (the read models catch up in the background). */
  async function eventually(probe: () => Promise<number>, want: number): Promise<number> {
    let got = 0;
    for (let i = 0; i < 100 && got !== want; i++) {
      got = await probe();
      if (got !== want) await new Promise((r) => setTimeout(r, 50));
    }
    return got;
  }

  it('given a revocation of nobody stored in one channel, then that channel stops there and the others work on', async () => {
    const broken = NegotiationBuilder.open({ notarySeed });
    const request = broken.request('ua.lead', 'ru').meta.request;
    await postAll(broken);
    // check: invalid_transition (no such participant); evolve alone would throw.
    await storeDirectly(broken, broken.build('ua.lead', 'ParticipantRevoked', { participant: 'ua.ghost' }, null));

    const healthy = NegotiationBuilder.open({ notarySeed });
    healthy.message('ua.lead', ['ru', 'ua'], 'after the bad event');
    await postAll(healthy);
    // Signed requests still resolve keys (the key directory read past the bad event) ...
    expect((await signedGet(suite.server.url, `/v1/channels/${healthy.channel}/head`, healthy.keys('ru.lead'))).status).toBe(200);
    // ... and the read models project the channels after it.
    const healthyState = () => signedGet(suite.server.url, `/v1/channels/${healthy.channel}/state`, healthy.keys('ru.lead')).then((r) => r.status);
    expect(await eventually(healthyState, 200)).toBe(200);

    // The broken channel's read models stay as before its bad event; it keeps its members.
    const state = await signedGet(suite.server.url, `/v1/channels/${broken.channel}/state`, broken.keys('ru.lead'));
    expect(state.status).toBe(200);
    expect(JSON.stringify(state.json)).toContain(request);
    // Nothing can follow the bad event: an append chained onto what the rules allow gets
    // 409 with that head (the store holds more), and nothing is stored.
    const before = await storedLines(suite.server.store, broken.channel);
    const next = broken.build('ua.lead', 'MessagePosted', { audience: ['ru', 'ua'] }, { text: 'x' });
    const refused = await post(suite.server.url, broken.channel, next);
    expect({ status: refused.status, head: refused.json.head }).toEqual({ status: 409, head: { seq: next.seq, prev: next.prev } });
    expect(await storedLines(suite.server.store, broken.channel)).toEqual(before);
  });

  it('given an admission the rules forbid stored in a channel, then the admitted key is no member', async () => {
    const n = NegotiationBuilder.open({ notarySeed });
    await postAll(n);
    // ru.lead admitting into party ua: check says forbidden; evolve alone would admit.
    const mole = n.participant({ id: 'ua.mole', party: 'ua', role: 'negotiator' });
    await storeDirectly(n, n.build('ru.lead', 'ParticipantAdmitted', { participant: mole }, null));
    expect((await signedGet(suite.server.url, `/v1/channels/${n.channel}/head`, n.keys('ua.mole'))).status).toBe(401);
    expect((await signedGet(suite.server.url, `/v1/channels/${n.channel}/head`, n.keys('ua.lead'))).status).toBe(200);
    expect((await signedGet(suite.server.url, `/v1/channels/${randomUUID()}/head`, n.keys('ua.lead'))).status).toBe(404);
  });
});
