/**
 * Given/when/then specifications of the read model rows: what a channel's folded state
 * shows as open requests, reunifications, agreement state and key memberships, and which
 * rows a batch rewrites.
 */
import { randomUUID } from 'node:crypto';
import { fingerprint } from '../protocol';
import { NegotiationFixture } from '../protocol/negotiation/negotiation.fixture';
import { channelRows, proposalsAwaitingAgreement } from './read-model-rows';
import { emptyChanges } from './read-model-store.port';
import { collectRowChanges } from './row-changes';

const request = (f: NegotiationFixture, id: string) => channelRows(f.state).requests.find((r) => r.request === id)!;

describe('read model rows', () => {
  describe('given an open channel with a request', () => {
    it('when information is shared, then the request counts it by kind (health included) and stays open', () => {
      const f = NegotiationFixture.opened();
      const r = f.request();
      f.apply(f.build('ru.lead', 'RequestInformationShared', { request: r, kind: 'health' }, { text: 'x' }));
      f.apply(f.build('ua.lead', 'RequestInformationShared', { request: r, kind: 'health' }, { text: 'y' }));
      f.apply(f.build('ua.lead', 'RequestInformationShared', { request: r, kind: 'document' }, { text: 'z' }));
      const item = request(f, r);
      expect(item).toMatchObject({ status: 'open', party: 'ua', holder: 'ru', category: 'minor', transfer: null });
      expect(item.information).toEqual({ details: 0, health: 2, location: 0, document: 1 });
      expect(item.updated.seq).toBeGreaterThan(item.requested.seq);
    });

    it('when a proposal names it, then it shows as proposed with that pending proposal', () => {
      const f = NegotiationFixture.opened();
      const r = f.request();
      const p = f.propose([r]);
      expect(request(f, r)).toMatchObject({ status: 'proposed', proposals: [{ proposal: p, status: 'pending' }] });
    });
  });

  describe('given a transfer cancelled before any handover, its request proposed again and taken home under a later transfer', () => {
    it('then the cancelled transfer shows the request as it is now, and counts none of the handovers made under the later one', () => {
      const f = NegotiationFixture.opened();
      const { proposal: first, requests: [r] } = f.agreedTransfer();
      f.apply(f.build('ua.lead', 'TransferCancelled', { proposal: first }, { reason: 'changed' }));
      const again = f.propose([r]);
      const transfer = (id: string) => channelRows(f.state).channel.transfers.find((t) => t.proposal === id)!;
      // As the request itself shows (and parley status): proposed again.
      expect(request(f, r).status).toBe('proposed');
      expect(transfer(first).requests).toEqual([{ request: r, status: 'proposed' }]);
      const rejection = f.apply(f.build('ru.lead', 'ProposalRejected', { proposal: again, proposalHash: f.proposalHash(again) }, null));
      // Open again, and updated by the rejection that made it so.
      expect(request(f, r)).toMatchObject({ status: 'open', updated: { seq: rejection.seq } });
      const { proposal: later } = f.agreedTransfer([r]);
      f.handover(later, r, 'released');
      f.handover(later, r, 'received');
      f.apply(f.build('ua.lead', 'ReunificationCompleted', { request: r }, null));
      expect(transfer(first)).toMatchObject({ status: 'cancelled', requests: [{ request: r, status: 'reunited' }], progress: { total: 1, released: 0, received: 0, reunited: 0 } });
      expect(transfer(later)).toMatchObject({ status: 'completed', progress: { total: 1, released: 1, received: 1, reunited: 1 } });
    });
  });

  describe('given two pending proposals sharing a request', () => {
    it('when one is agreed, then the other lapses and its other request is no longer proposed', () => {
      const f = NegotiationFixture.opened();
      const [r1, r2, r3] = [f.request(), f.request(), f.request()];
      const p1 = f.propose([r1, r2]);
      const p2 = f.propose([r2, r3]);
      f.accept(p1, 'ua.lead');
      f.accept(p1, 'ru.lead');
      expect(proposalsAwaitingAgreement(f.state)).toEqual([p1]);
      const written = collectRowChanges(f.state, new Map(), emptyChanges());
      f.apply(f.agreement(p1));

      const changes = emptyChanges();
      collectRowChanges(f.state, written, changes);
      // r3 is not named by the TransferAgreed, yet its row changed: p2 lapsed.
      expect(changes.requests.map((c) => c.request).sort()).toEqual([r1, r2, r3].sort());
      expect(request(f, r3)).toMatchObject({ status: 'open', proposals: [{ proposal: p2, status: 'lapsed' }] });
      expect(request(f, r1)).toMatchObject({ status: 'agreed', transfer: p1 });
      expect(proposalsAwaitingAgreement(f.state)).toEqual([]);
      const transfer = channelRows(f.state).channel.transfers[0];
      expect(transfer).toMatchObject({ proposal: p1, status: 'agreed', progress: { total: 2, released: 0, received: 0, reunited: 0 } });
      expect(Object.keys(channelRows(f.state).channel.proposals.find((p) => p.proposal === p1)!.acceptances).sort()).toEqual(['ru', 'ua']);
    });
  });

  describe('given an agreed transfer', () => {
    it('when its request is released, received and completed, then it is a reunification with those three events', () => {
      const f = NegotiationFixture.opened();
      const t = f.agreedTransfer();
      const r = t.requests[0];
      f.handover(t.proposal, r, 'released');
      expect(channelRows(f.state).channel.transfers[0].progress).toEqual({ total: 1, released: 1, received: 0, reunited: 0 });
      f.handover(t.proposal, r, 'received');
      expect(channelRows(f.state).reunifications).toEqual([]);
      f.apply(f.build('ua.lead', 'ReunificationCompleted', { request: r }, null));

      const rows = channelRows(f.state);
      expect(rows.reunifications).toHaveLength(1);
      const done = rows.reunifications[0];
      expect(done).toMatchObject({ request: r, party: 'ua', holder: 'ru', transfer: t.proposal });
      expect(done.released.sender).toBe('ru.lead');
      expect(done.received.sender).toBe('ua.lead');
      expect(done.completed.sender).toBe('ua.lead');
      expect(done.completed.hash).toBe(f.state.head);
      expect(request(f, r).status).toBe('reunited');
      expect(rows.channel.transfers[0].status).toBe('completed');
    });
  });

  describe('given a participant whose key is rotated', () => {
    it('then the old key shows inactive and the replacement active, each under its fingerprint', () => {
      const f = NegotiationFixture.opened();
      const old = f.members.get('ru.lead')!.record;
      const replacement = f.participant('ru.lead2', 'ru', 'negotiator');
      f.apply(f.build('ru.lead', 'ParticipantRevoked', { participant: 'ru.lead', replacement }, null));

      const rows = channelRows(f.state);
      const key = (id: string) => rows.keys.find((k) => k.participant === id)!;
      expect(key('ru.lead')).toEqual({ fingerprint: fingerprint(old), channel: f.channel, participant: 'ru.lead', active: false, signKey: old.signKey });
      expect(key('ru.lead2')).toMatchObject({ fingerprint: fingerprint(replacement), active: true });
      const view = rows.channel.participants.find((p) => p.id === 'ru.lead')!;
      expect(view).toMatchObject({ status: 'revoked', replacedBy: 'ru.lead2', fingerprint: fingerprint(old) });
      expect(rows.channel.head).toEqual({ seq: f.state.nextSeq, prev: f.state.head });
    });
  });

  describe('given rows already written', () => {
    it('when a message is posted, then only the channel row is rewritten', () => {
      const f = NegotiationFixture.opened();
      f.request();
      const written = collectRowChanges(f.state, new Map(), emptyChanges());
      f.apply(f.build('us.envoy', 'MessagePosted', { audience: ['ru', 'us'] }, { text: 'hi' }));
      const changes = emptyChanges();
      collectRowChanges(f.state, written, changes);
      expect(changes.channels).toHaveLength(1);
      expect([changes.requests, changes.reunifications, changes.keys]).toEqual([[], [], []]);
    });

    it('when a request is withdrawn, then its row shows withdrawn with the reason', () => {
      const f = NegotiationFixture.opened();
      const r = f.request();
      f.apply(f.build('ua.lead', 'RequestWithdrawn', { request: r, reason: 'resolved-elsewhere' }, null));
      expect(request(f, r)).toMatchObject({ status: 'withdrawn', withdrawn: { reason: 'resolved-elsewhere', sender: 'ua.lead' } });
      expect(request(f, randomUUID())).toBeUndefined();
    });
  });
});
