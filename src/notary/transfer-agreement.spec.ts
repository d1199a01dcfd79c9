/** Given/when/then specifications of the notary's decision and the TransferAgreed it signs. */
import { randomUUID } from 'node:crypto';
import { check, ed25519KeyPair } from '../protocol';
import { NegotiationFixture } from '../protocol/negotiation/negotiation.fixture';
import { notaryKeyFromSeed } from './notary-key.provider';
import { agreementDecision, buildTransferAgreed } from './transfer-agreement';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('transfer agreement', () => {

  describe('given a pending proposal accepted by one side only', () => {
    it('then no agreement is due (quorum not met)', () => {
      const f = NegotiationFixture.opened();
      const p = f.propose([f.request()]);
      f.accept(p, 'ua.lead');
      expect(agreementDecision(f.state, p, f.state.notaryKey!)).toEqual({ due: false, reason: 'quorum_not_met' });
    });
  });

  describe('given a proposal accepted by both sides', () => {
    it('when this server is the channel notary, then the TransferAgreed it builds passes the rule engine', () => {
      const f = NegotiationFixture.opened();
      const key = notaryKeyFromSeed(ed25519KeyPair().secretKey);
      f.state.notaryKey = key.signKey; // as if the channel had named this server's key
      const p = f.propose([f.request()]);
      f.accept(p, 'ua.lead');
      f.accept(p, 'ru.lead');
      const decision = agreementDecision(f.state, p, key.signKey);
      if (!decision.due) throw new Error(`not due: ${decision.reason}`);
      const env = buildTransferAgreed(f.state, decision.meta, key.sign, new Date('2026-10-10T12:00:00.000Z'));

      expect(check(f.state, env, { channel: f.channel })).toEqual([]);
      expect(env).toMatchObject({ id: expect.stringMatching(UUID_V4), sender: 'notary', body: null, seq: f.state.nextSeq });
      // Random, so that no member can take the id first (a stored event under it would make
      // every TransferAgreed a duplicate_id): built again, the same agreement has another id.
      expect(buildTransferAgreed(f.state, decision.meta, key.sign, new Date('2026-10-10T12:00:00.000Z')).id).not.toBe(env.id);
      expect(env.meta.acceptances).toEqual(Object.values(f.state.proposals.get(p)!.acceptances).map((a) => a.hash).sort());
    });

    it('when the channel names another notary, then this one does not agree it', () => {
      const f = NegotiationFixture.opened();
      const p = f.propose([f.request()]);
      f.accept(p, 'ua.lead');
      f.accept(p, 'ru.lead');
      const other = notaryKeyFromSeed(ed25519KeyPair().secretKey);
      expect(agreementDecision(f.state, p, other.signKey)).toEqual({ due: false, reason: 'other_notary' });
    });
  });

  describe('given an agreed proposal', () => {
    it('then nothing more is due for it, and an unknown proposal is not due either', () => {
      const f = NegotiationFixture.opened();
      const { proposal } = f.agreedTransfer();
      expect(agreementDecision(f.state, proposal, f.state.notaryKey!)).toEqual({ due: false, reason: 'not_pending' });
      expect(agreementDecision(f.state, randomUUID(), f.state.notaryKey!)).toEqual({ due: false, reason: 'unknown_proposal' });
    });
  });
});
