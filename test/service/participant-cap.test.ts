/**
 * The server's cap on active participants (append-event.handler.ts, capacityViolation): a
 * body can be sealed to at most 256 keys (DESIGN.md 1.5), so a channel must never hold more
 * active participants than that, or one party, admitting its own, could make every event
 * that all must read impossible (a TransferCancelled, say) and freeze the others.
 */
import { LIMITS } from '../../src/protocol';
import { storeLog } from '../support/store-log';
import { NegotiationBuilder } from '../support/negotiation-builder';
import { serverFor } from './service-harness';
import { post, storedLines } from './service-test-kit';

describe('given a channel one admission short of the participants a body can be sealed to', () => {
  const suite = serverFor('sqlite');
  let n: NegotiationBuilder;

  beforeAll(async () => {
    n = NegotiationBuilder.open({ notarySeed: suite.notarySeed });
    // The opening's four, then ua admits its own until one place is left.
    for (let i = 0; 4 + i < LIMITS.keys - 1; i++) n.admit('ua.lead', { id: `ua.n${i}`, party: 'ua', role: 'negotiator' });
    await storeLog(suite.server.store, n);
  });

  it('then the last place is taken, and a further admission is refused 422 forbidden and not stored', async () => {
    expect((await post(suite.server.url, n.channel, n.admit('ua.lead', { id: 'ua.last', party: 'ua', role: 'negotiator' }))).status).toBe(201);
    const stored = (await storedLines(suite.server.store, n.channel)).length;
    const refused = await post(suite.server.url, n.channel, n.admit('ua.lead', { id: 'ua.more', party: 'ua', role: 'negotiator' }));
    expect({ status: refused.status, body: refused.json }).toEqual({
      status: 422,
      body: { error: 'forbidden', seq: stored, message: expect.stringMatching(/256 active participants, as many as a body can be sealed to.*revoke one/) },
    });
    expect((await storedLines(suite.server.store, n.channel)).length).toBe(stored);
  });
});
