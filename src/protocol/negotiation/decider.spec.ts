/**
 * Given/when/then specifications of the negotiation decider (DESIGN.md 1.4, 1.5): for every
 * event type an accepted case, and a case for each violation code the type can raise.
 * Each case starts from a real, signed channel and changes one thing.
 */
import { randomUUID } from 'node:crypto';
import { b64uEncode, byId } from '../encoding';
import { sealBody } from '../envelope';
import { makeParticipant, generateIdentity } from '../keys';
import type { Envelope, EventType, MetaByType } from '../types';
import { displayStatus } from './channel-state';
import { check } from './check';
import { auditorsBeyondAudience, requiredRecipients } from './recipients';
import { NegotiationFixture, NOTARY_SIGN_KEY } from './negotiation.fixture';
import { expectedAcceptances } from './type-rules';

const codeOf = (f: NegotiationFixture, env: unknown) => f.check(env)[0]?.code ?? 'accepted';

/** A valid next event of each type, with whatever state it needs set up first. */
const validEvent: Record<EventType, (f: NegotiationFixture) => Envelope> = {
  ChannelOpened: (f) => {
    f.state = new NegotiationFixture().state; // fresh state, same channel id is irrelevant
    return f.opening({ quorum: 'sides', auditorsRead: false });
  },
  ParticipantAdmitted: (f) => f.build('ua.lead', 'ParticipantAdmitted', { participant: f.participant('ua.two', 'ua', 'negotiator') }, null),
  ParticipantRevoked: (f) => f.build('ua.lead', 'ParticipantRevoked', { participant: 'ua.obs' }, null),
  MessagePosted: (f) => f.build('us.envoy', 'MessagePosted', { audience: ['ru', 'us'] }, { text: 'hi' }),
  ReunificationRequested: (f) =>
    f.build('ua.lead', 'ReunificationRequested', { request: randomUUID(), category: 'minor', holder: 'ru' }, { person: 'A.' }),
  RequestInformationShared: (f) => f.build('ru.lead', 'RequestInformationShared', { request: f.request(), kind: 'health' }, { text: 'x' }),
  RequestWithdrawn: (f) => f.build('ua.lead', 'RequestWithdrawn', { request: f.request(), reason: 'duplicate' }, null),
  ProposalSubmitted: (f) => f.build('us.envoy', 'ProposalSubmitted', { proposal: randomUUID(), requests: [f.request()] }, { terms: 't' }),
  ProposalAccepted: (f) => {
    const p = f.propose([f.request()]);
    return f.build('ua.lead', 'ProposalAccepted', { proposal: p, proposalHash: f.proposalHash(p) }, null);
  },
  ProposalRejected: (f) => {
    const p = f.propose([f.request()]);
    return f.build('ru.lead', 'ProposalRejected', { proposal: p, proposalHash: f.proposalHash(p) }, null);
  },
  ProposalWithdrawn: (f) => f.build('us.envoy', 'ProposalWithdrawn', { proposal: f.propose([f.request()]) }, null),
  TransferAgreed: (f) => {
    const p = f.propose([f.request()]);
    f.accept(p, 'ua.lead');
    f.accept(p, 'ru.lead');
    return f.agreement(p);
  },
  HandoverConfirmed: (f) => {
    const t = f.agreedTransfer();
    return f.build('ru.lead', 'HandoverConfirmed', { proposal: t.proposal, request: t.requests[0], step: 'released' }, null);
  },
  ReunificationCompleted: (f) => {
    const t = f.agreedTransfer();
    f.handover(t.proposal, t.requests[0], 'released');
    f.handover(t.proposal, t.requests[0], 'received');
    return f.build('ua.lead', 'ReunificationCompleted', { request: t.requests[0] }, null);
  },
  TransferCancelled: (f) => f.build('ua.lead', 'TransferCancelled', { proposal: f.agreedTransfer().proposal }, { reason: 'r' }),
};

const ALL_TYPES = Object.keys(validEvent) as EventType[];

describe('checks every event type shares (steps 1–6)', () => {
  describe.each(ALL_TYPES)('%s', (type) => {
    let f: NegotiationFixture;
    let env: Envelope;
    beforeEach(() => {
      f = NegotiationFixture.opened();
      env = validEvent[type](f);
    });

    it('given a well-formed, chained, signed event, then it is accepted', () => {
      expect(f.check(env)).toEqual([]);
    });
    it('when a field is added to the envelope, then malformed', () => {
      expect(codeOf(f, { ...env, extra: 1 })).toBe('malformed');
    });
    it('when meta lacks a field, then malformed', () => {
      const meta = { ...(env.meta as Record<string, unknown>) };
      delete meta[Object.keys(meta)[0]];
      expect(codeOf(f, { ...env, meta })).toBe('malformed');
    });
    it('when appended to another channel, then wrong_channel', () => {
      expect(check(f.state, env, { channel: randomUUID() })[0]?.code).toBe('wrong_channel');
    });
    it('when seq skips ahead, then seq_gap', () => {
      expect(codeOf(f, { ...env, seq: env.seq + 1 })).toBe('seq_gap');
    });
    it('when prev is not the head, then prev_mismatch', () => {
      expect(codeOf(f, { ...env, prev: 'f'.repeat(64) })).toBe('prev_mismatch');
    });
    if (type !== 'ChannelOpened') {
      it('when the id was used before, then duplicate_id', () => {
        expect(codeOf(f, { ...env, id: [...f.state.ids][0] })).toBe('duplicate_id');
      });
      it('when the sender is not in the channel, then unknown_sender', () => {
        expect(codeOf(f, { ...env, sender: type === 'TransferAgreed' ? 'ua.lead' : 'nobody' })).toBe(
          type === 'TransferAgreed' ? 'bad_signature' : 'unknown_sender',
        );
        if (type !== 'TransferAgreed') expect(codeOf(f, { ...env, sender: 'notary' })).toBe('unknown_sender');
      });
    }
    if (type !== 'ChannelOpened' && type !== 'TransferAgreed') {
      it('given the sender was revoked (its key rotated), when it sends the same event, then revoked_sender', () => {
        const { party, role } = f.members.get(env.sender)!.record;
        f.apply(f.build(env.sender, 'ParticipantRevoked', { participant: env.sender, replacement: f.participant(`${env.sender}2`, party, role) }, null));
        const again = f.build(env.sender, env.type as EventType, env.meta as never, env.body === null ? null : { x: 1 });
        expect(codeOf(f, again)).toBe('revoked_sender');
      });
    }
    it('when a signed field changes, then bad_signature', () => {
      const at = env.at.replace(/\.\d{3}Z$/, '.999Z');
      expect(codeOf(f, { ...env, at })).toBe('bad_signature');
    });
  });
});

describe('revoked senders (step 5)', () => {
  it('given ua.obs was revoked, when it posts a message, then revoked_sender', () => {
    const f = NegotiationFixture.opened();
    f.apply(validEvent.ParticipantRevoked(f));
    expect(codeOf(f, f.build('ua.obs', 'MessagePosted', { audience: ['ua'] }, { text: 'x' }))).toBe('revoked_sender');
  });
});

describe('bodies (step 7)', () => {
  const required: EventType[] = ['ChannelOpened', 'MessagePosted', 'ReunificationRequested', 'RequestInformationShared', 'ProposalSubmitted', 'TransferCancelled'];
  it.each(required)('%s: when the body is missing, then body_required', (type) => {
    const f = NegotiationFixture.opened();
    const env = validEvent[type](f);
    const rebuilt = f.build(env.sender, env.type as EventType, env.meta as never, null);
    expect(codeOf(f, rebuilt)).toBe('body_required');
  });
  it('TransferAgreed: when it carries a body, then body_forbidden', () => {
    const f = NegotiationFixture.opened();
    const env = validEvent.TransferAgreed(f);
    const withBody = f.build('notary', 'TransferAgreed', env.meta as MetaByType['TransferAgreed'], null, (e) => {
      e.body = sealBody({ x: 1 }, [{ id: 'ua.lead', boxKey: f.members.get('ua.lead')!.record.boxKey }]);
    });
    expect(codeOf(f, withBody)).toBe('body_forbidden');
  });
  const sealedTo = (f: NegotiationFixture, ids: string[]) => sealBody({ x: 1 }, ids.map((id) => ({ id, boxKey: f.members.get(id)!.record.boxKey })));
  it.each(ALL_TYPES.filter((t) => t !== 'TransferAgreed'))('%s: when an outsider is also sealed to, then recipients_mismatch', (type) => {
    const f = NegotiationFixture.opened();
    const env = validEvent[type](f);
    const want = requiredRecipients(f.state, env).map((r) => r.id);
    const extra = ['icrc.audit', 'ua.obs', 'ru.lead'].find((id) => !want.includes(id))!;
    const leaky = f.build(env.sender, env.type as EventType, env.meta as never, null, (e) => {
      e.body = sealedTo(f, [...want, extra]);
    });
    expect(codeOf(f, leaky)).toBe('recipients_mismatch');
  });
  it('given auditorsRead, then the auditor must be a recipient of every body', () => {
    const f = NegotiationFixture.opened({ quorum: 'sides', auditorsRead: true });
    const env = f.build('ua.lead', 'MessagePosted', { audience: ['ua'] }, null, (e) => {
      e.body = sealedTo(f, ['ua.lead', 'ua.obs']);
    });
    expect(codeOf(f, env)).toBe('recipients_mismatch');
    expect(f.check(f.build('ua.lead', 'MessagePosted', { audience: ['ua'] }, { t: 1 }))).toEqual([]);
  });
});

describe('ChannelOpened', () => {
  it('given an empty channel, when a listed negotiator opens it, then accepted and the state has parties and participants', () => {
    const f = NegotiationFixture.opened();
    expect(f.state.parties.get('ua')).toBe('side');
    expect(f.state.participants.size).toBe(5);
    expect(f.state.nextSeq).toBe(1);
  });
  it.each([
    ['one side only', (m: MetaByType['ChannelOpened']) => (m.parties = m.parties.filter((p) => p.id !== 'ru'))],
    ['a side without a negotiator', (m: MetaByType['ChannelOpened']) => (m.participants = m.participants.filter((p) => p.id !== 'ru.lead'))],
    ['a participant twice', (m: MetaByType['ChannelOpened']) => m.participants.push(m.participants[0])],
    ['an unlisted party', (m: MetaByType['ChannelOpened']) => (m.participants[1] = { ...m.participants[1], party: 'zz' })],
    ['a bad policy', (m: MetaByType['ChannelOpened']) => ((m.policy as { quorum: string }).quorum = 'most')],
  ])('when it has %s, then malformed', (_name, mutate) => {
    const f = new NegotiationFixture();
    const env = f.opening({ quorum: 'sides', auditorsRead: false });
    const meta = structuredClone(env.meta);
    mutate(meta);
    expect(codeOf(f, f.build('ua.lead', 'ChannelOpened', meta, null, (e) => (e.body = env.body)))).toBe('malformed');
  });
  it('when its sender is not a listed negotiator, then malformed', () => {
    const f = new NegotiationFixture();
    expect(codeOf(f, f.opening({ quorum: 'sides', auditorsRead: false }, 'ua.obs'))).toBe('malformed');
  });
  it('given an opened channel, when opened again, then invalid_transition', () => {
    const f = NegotiationFixture.opened();
    const meta = { ...(validEvent.ChannelOpened(new NegotiationFixture()).meta as MetaByType['ChannelOpened']) };
    meta.participants = [...f.state.participants.values()].map((p) => p.record);
    expect(codeOf(f, f.build('ua.lead', 'ChannelOpened', meta, { title: 'again' }))).toBe('invalid_transition');
  });
  it('given an opened channel, when opened again by a member, sealed to the participants it lists as an opening is, then invalid_transition', () => {
    const f = NegotiationFixture.opened();
    const other = new NegotiationFixture();
    const meta = { ...(other.opening({ quorum: 'sides', auditorsRead: true }).meta as MetaByType['ChannelOpened']) };
    // Other members than the channel's: ua.obs is not listed.
    meta.participants = meta.participants.filter((p) => p.id !== 'ua.obs').map((p) => (p.id === 'ua.lead' ? f.members.get('ua.lead')!.record : p));
    const listed = meta.participants.map((p) => ({ id: p.id, boxKey: p.boxKey })).sort(byId);
    const again = f.build('ua.lead', 'ChannelOpened', meta, null, (e) => (e.body = sealBody({ title: 'again' }, listed)));
    expect(codeOf(f, again)).toBe('invalid_transition');
    // Sealed to the channel's members instead, it fails at step 7, before the type's rules.
    const members = [...f.state.participants.values()].map((p) => ({ id: p.record.id, boxKey: p.record.boxKey })).sort(byId);
    const sealedToMembers = f.build('ua.lead', 'ChannelOpened', meta, null, (e) => (e.body = sealBody({ title: 'again' }, members)));
    expect(codeOf(f, sealedToMembers)).toBe('recipients_mismatch');
  });
  it('when a participant proof was made for another channel, then bad_proof', () => {
    const f = new NegotiationFixture();
    const env = f.opening({ quorum: 'sides', auditorsRead: false });
    const meta = structuredClone(env.meta);
    const ru = f.members.get('ru.lead')!;
    meta.participants[2] = makeParticipant(randomUUID(), ru.identity, { id: 'ru.lead', party: 'ru', role: 'negotiator' });
    expect(codeOf(f, f.build('ua.lead', 'ChannelOpened', meta, { t: 1 }))).toBe('bad_proof');
  });
  it('when the opener plants a participant whose sign key is the identity point (a "proof" needing no secret), then bad_proof', () => {
    const f = new NegotiationFixture();
    const env = f.opening({ quorum: 'sides', auditorsRead: false });
    const meta = structuredClone(env.meta);
    const identityPoint = Buffer.from('01' + '00'.repeat(31), 'hex');
    const ru = meta.participants[2];
    meta.participants[2] = { ...ru, signKey: b64uEncode(identityPoint), proof: b64uEncode(Buffer.concat([identityPoint, Buffer.alloc(32)])) };
    expect(codeOf(f, f.build('ua.lead', 'ChannelOpened', meta, { t: 1 }))).toBe('bad_proof');
  });
});

describe('ParticipantAdmitted', () => {
  let f: NegotiationFixture;
  beforeEach(() => (f = NegotiationFixture.opened()));
  const admit = (sender: string, participant: ReturnType<NegotiationFixture['participant']>) =>
    codeOf(f, f.build(sender, 'ParticipantAdmitted', { participant }, { note: 'welcome' }));

  it('given a negotiator, when it admits to its own party, then accepted and the newcomer reads that event', () => {
    const p = f.participant('ua.two', 'ua', 'negotiator');
    const env = f.apply(f.build('ua.lead', 'ParticipantAdmitted', { participant: p }, { note: 'welcome' }));
    expect(env.body!.keys.map((k) => k.to)).toContain('ua.two');
    expect(f.state.participants.get('ua.two')!.admittedAt).toBe(env.seq);
  });
  it('when an observer admits, then forbidden', () => expect(admit('ua.obs', f.participant('ua.two', 'ua', 'negotiator'))).toBe('forbidden'));
  it('when the party does not exist, then unknown_party', () => expect(admit('ua.lead', f.participant('zz.one', 'zz', 'negotiator'))).toBe('unknown_party'));
  it("when admitting to another party, then forbidden", () => expect(admit('ua.lead', f.participant('ru.two', 'ru', 'negotiator'))).toBe('forbidden'));
  it('when the id was used, then duplicate_participant', () => expect(admit('ua.lead', f.participant('ua.obs', 'ua', 'observer'))).toBe('duplicate_participant'));
  it('when a key was used, then duplicate_participant', () => {
    const reused = makeParticipant(f.channel, f.members.get('ua.obs')!.identity, { id: 'ua.three', party: 'ua', role: 'observer' });
    expect(admit('ua.lead', reused)).toBe('duplicate_participant');
  });
  it('when the proof is for another channel, then bad_proof', () => {
    const foreign = makeParticipant(randomUUID(), generateIdentity(), { id: 'ua.two', party: 'ua', role: 'negotiator' });
    expect(admit('ua.lead', foreign)).toBe('bad_proof');
  });
  it('when the sign key is the identity point, with the "proof" anyone can make for it (R = identity, S = 0), then bad_proof naming the signKey', () => {
    const identityPoint = Buffer.from('01' + '00'.repeat(31), 'hex');
    const ghost = {
      id: 'ua.ghost',
      party: 'ua',
      role: 'negotiator' as const,
      signKey: b64uEncode(identityPoint),
      boxKey: generateIdentity().boxKey,
      proof: b64uEncode(Buffer.concat([identityPoint, Buffer.alloc(32)])),
    };
    const [v] = f.check(f.build('ua.lead', 'ParticipantAdmitted', { participant: ghost }, null));
    expect(v).toMatchObject({ code: 'bad_proof', message: expect.stringMatching(/ua\.ghost's signKey is a point of small order/) });
  });
  it('when the box key is of small order (anything sealed to it opens for everyone), though the proof is signed, then bad_proof naming the boxKey', () => {
    const weakBox = { ...generateIdentity(), boxKey: b64uEncode(Buffer.alloc(32)) };
    const p = makeParticipant(f.channel, weakBox, { id: 'ua.two', party: 'ua', role: 'negotiator' });
    const [v] = f.check(f.build('ua.lead', 'ParticipantAdmitted', { participant: p }, null));
    expect(v).toMatchObject({ code: 'bad_proof', message: expect.stringMatching(/ua\.two's boxKey is a point of small order/) });
  });
});

describe('ParticipantRevoked', () => {
  let f: NegotiationFixture;
  beforeEach(() => (f = NegotiationFixture.opened()));
  const revoke = (sender: string, meta: MetaByType['ParticipantRevoked']) => codeOf(f, f.build(sender, 'ParticipantRevoked', meta, null));

  it('given a negotiator rotating its own key, then accepted: old inactive, replacement active and reading', () => {
    const replacement = f.participant('ua.lead2', 'ua', 'negotiator');
    const env = f.apply(f.build('ua.lead', 'ParticipantRevoked', { participant: 'ua.lead', replacement }, { why: 'rotation' }));
    expect(f.state.participants.get('ua.lead')!.active).toBe(false);
    expect(f.state.participants.get('ua.lead2')!.active).toBe(true);
    expect(env.body!.keys.map((k) => k.to)).toEqual(['ru.lead', 'ua.lead2', 'ua.obs', 'us.envoy']);
  });
  it('given the auditor, when it revokes itself, then accepted', () => expect(revoke('icrc.audit', { participant: 'icrc.audit' })).toBe('accepted'));
  it('when the auditor revokes someone else, then forbidden', () => expect(revoke('icrc.audit', { participant: 'ua.obs' })).toBe('forbidden'));
  it('when the target is unknown, then invalid_transition', () => expect(revoke('ua.lead', { participant: 'ua.ghost' })).toBe('invalid_transition'));
  it("when revoking another party's participant, then forbidden", () => expect(revoke('ru.lead', { participant: 'ua.obs' })).toBe('forbidden'));
  it('when the replacement has another role, then forbidden', () =>
    expect(revoke('ua.lead', { participant: 'ua.obs', replacement: f.participant('ua.obs2', 'ua', 'negotiator') })).toBe('forbidden'));
  it('when the replacement reuses keys, then duplicate_participant', () => {
    const reused = makeParticipant(f.channel, f.members.get('ru.lead')!.identity, { id: 'ua.obs2', party: 'ua', role: 'observer' });
    expect(revoke('ua.lead', { participant: 'ua.obs', replacement: reused })).toBe('duplicate_participant');
  });
  it("when the replacement's proof is for another channel, then bad_proof", () => {
    const foreign = makeParticipant(randomUUID(), generateIdentity(), { id: 'ua.obs2', party: 'ua', role: 'observer' });
    expect(revoke('ua.lead', { participant: 'ua.obs', replacement: foreign })).toBe('bad_proof');
  });
  it('when it would leave a side without a negotiator, then invalid_transition', () =>
    expect(revoke('ru.lead', { participant: 'ru.lead' })).toBe('invalid_transition'));
  it('given an already revoked target, then invalid_transition', () => {
    f.apply(f.build('ua.lead', 'ParticipantRevoked', { participant: 'ua.obs' }, null));
    expect(revoke('ua.lead', { participant: 'ua.obs' })).toBe('invalid_transition');
  });
});

describe('MessagePosted', () => {
  let f: NegotiationFixture;
  beforeEach(() => (f = NegotiationFixture.opened()));
  it('given a back-channel audience, then accepted and sealed to those parties only', () => {
    const env = f.apply(validEvent.MessagePosted(f));
    expect(env.body!.keys.map((k) => k.to)).toEqual(['ru.lead', 'us.envoy']);
  });
  it('given an observer, when it posts, then accepted', () => expect(codeOf(f, f.build('ua.obs', 'MessagePosted', { audience: ['ua'] }, { t: 1 }))).toBe('accepted'));
  it('when the auditor posts, then forbidden', () => expect(codeOf(f, f.build('icrc.audit', 'MessagePosted', { audience: ['icrc'] }, { t: 1 }))).toBe('forbidden'));
  it('when the audience names an unknown party, then unknown_party', () =>
    expect(codeOf(f, f.build('ua.lead', 'MessagePosted', { audience: ['ua', 'zz'] }, { t: 1 }))).toBe('unknown_party'));
  it('when the audience names more parties than a channel can have, then unknown_party (step 8), not malformed', () => {
    const audience = ['ru', 'ua', ...Array.from({ length: 40 }, (_, i) => `zz${String(i).padStart(2, '0')}`)].sort();
    expect(codeOf(f, f.build('ua.lead', 'MessagePosted', { audience }, { t: 1 }))).toBe('unknown_party');
  });
  it("when the audience leaves out the sender's party, then forbidden", () =>
    expect(codeOf(f, f.build('ua.lead', 'MessagePosted', { audience: ['ru'] }, { t: 1 }))).toBe('forbidden'));
  it('when the audience is unsorted, then malformed', () =>
    expect(codeOf(f, f.build('ua.lead', 'MessagePosted', { audience: ['ua', 'ru'] }, { t: 1 }))).toBe('malformed'));
});

describe('ReunificationRequested', () => {
  let f: NegotiationFixture;
  beforeEach(() => (f = NegotiationFixture.opened()));
  const ask = (sender: string, holder: string, request: string = randomUUID()) =>
    codeOf(f, f.build(sender, 'ReunificationRequested', { request, category: 'adult-displaced-as-minor', holder }, { person: 'B.' }));
  it('given a side negotiator, then accepted and the request is open', () => {
    const id = f.request();
    expect(f.state.requests.get(id)).toMatchObject({ status: 'open', party: 'ua', holder: 'ru' });
  });
  it('when the mediator requests, then forbidden', () => expect(ask('us.envoy', 'ru')).toBe('forbidden'));
  it('when an observer requests, then forbidden', () => expect(ask('ua.obs', 'ru')).toBe('forbidden'));
  it('when the holder does not exist, then unknown_party', () => expect(ask('ua.lead', 'zz')).toBe('unknown_party'));
  it("when the holder is the sender's own party, then forbidden", () => expect(ask('ua.lead', 'ua')).toBe('forbidden'));
  it('when the holder is not a side, then forbidden', () => expect(ask('ua.lead', 'us')).toBe('forbidden'));
  it('when the request id is in use, then invalid_transition', () => expect(ask('ua.lead', 'ru', f.request())).toBe('invalid_transition'));
});

describe('RequestInformationShared', () => {
  let f: NegotiationFixture;
  let request: string;
  beforeEach(() => {
    f = NegotiationFixture.opened();
    request = f.request();
  });
  const share = (sender: string, req = request) => codeOf(f, f.build(sender, 'RequestInformationShared', { request: req, kind: 'health' }, { t: 1 }));
  it('given any negotiator, then accepted and counted by kind', () => {
    f.apply(f.build('ru.lead', 'RequestInformationShared', { request, kind: 'health' }, { t: 1 }));
    expect(f.state.requests.get(request)!.information.health).toBe(1);
  });
  it('when an observer shares, then forbidden', () => expect(share('ua.obs')).toBe('forbidden'));
  it('when the request does not exist, then unknown_request', () => expect(share('ua.lead', randomUUID())).toBe('unknown_request'));
  it('given a withdrawn request, then invalid_transition', () => {
    f.apply(f.build('ua.lead', 'RequestWithdrawn', { request, reason: 'other' }, null));
    expect(share('ua.lead')).toBe('invalid_transition');
  });
});

describe('RequestWithdrawn', () => {
  let f: NegotiationFixture;
  let request: string;
  beforeEach(() => {
    f = NegotiationFixture.opened();
    request = f.request();
  });
  const withdraw = (sender: string, req = request) => codeOf(f, f.build(sender, 'RequestWithdrawn', { request: req, reason: 'duplicate' }, null));
  it('given the requesting party, then accepted and withdrawn', () => {
    f.apply(f.build('ua.lead', 'RequestWithdrawn', { request, reason: 'duplicate' }, null));
    expect(f.state.requests.get(request)!.status).toBe('withdrawn');
  });
  it('when an observer withdraws, then forbidden', () => expect(withdraw('ua.obs')).toBe('forbidden'));
  it('when the request does not exist, then unknown_request', () => expect(withdraw('ua.lead', randomUUID())).toBe('unknown_request'));
  it('when another party withdraws, then forbidden', () => expect(withdraw('ru.lead')).toBe('forbidden'));
  it('given a pending proposal names it, then invalid_transition', () => {
    f.propose([request]);
    expect(displayStatus(f.state.requests.get(request)!)).toBe('proposed');
    expect(withdraw('ua.lead')).toBe('invalid_transition');
  });
});

describe('ProposalSubmitted', () => {
  let f: NegotiationFixture;
  let request: string;
  beforeEach(() => {
    f = NegotiationFixture.opened();
    request = f.request();
  });
  const submit = (sender: string, meta: Partial<MetaByType['ProposalSubmitted']> = {}) =>
    codeOf(f, f.build(sender, 'ProposalSubmitted', { proposal: randomUUID(), requests: [request], ...meta }, { terms: 't' }));
  it('given a counter-proposal superseding a pending one, then accepted and the first is superseded', () => {
    const first = f.propose([request]);
    const second = f.propose([request], 'ru.lead', first);
    expect(f.state.proposals.get(first)!.status).toBe('superseded');
    expect(f.state.proposals.get(second)!.status).toBe('pending');
    expect(f.state.requests.get(request)!.pendingProposals).toEqual([second]);
  });
  it('when an observer proposes, then forbidden', () => expect(submit('ua.obs')).toBe('forbidden'));
  it('when a request does not exist, then unknown_request', () => expect(submit('ua.lead', { requests: [randomUUID()] })).toBe('unknown_request'));
  it('when the superseded proposal does not exist, then unknown_proposal', () => expect(submit('ua.lead', { supersedes: randomUUID() })).toBe('unknown_proposal'));
  it('when the proposal id is in use, then invalid_transition', () => expect(submit('ua.lead', { proposal: f.propose([request]) })).toBe('invalid_transition'));
  it('given the request is already agreed, then invalid_transition', () => {
    f.agreedTransfer([request]);
    expect(submit('ua.lead')).toBe('invalid_transition');
  });
  it('given the superseded proposal is no longer pending, then invalid_transition', () => {
    const p = f.propose([request]);
    f.apply(f.build('us.envoy', 'ProposalWithdrawn', { proposal: p }, null));
    expect(submit('ua.lead', { supersedes: p })).toBe('invalid_transition');
  });
  it('when requests is empty, then malformed', () => expect(submit('ua.lead', { requests: [] })).toBe('malformed'));
});

describe('ProposalAccepted', () => {
  let f: NegotiationFixture;
  let proposal: string;
  beforeEach(() => {
    f = NegotiationFixture.opened();
    proposal = f.propose([f.request()]);
  });
  const accept = (sender: string, p = proposal, hash?: string) =>
    codeOf(f, f.build(sender, 'ProposalAccepted', { proposal: p, proposalHash: hash ?? (f.state.proposals.get(p)?.submitted.hash ?? 'a'.repeat(64)) }, null));
  it('given a side negotiator, then accepted and recorded for its party', () => {
    f.accept(proposal, 'ru.lead');
    expect(Object.keys(f.state.proposals.get(proposal)!.acceptances)).toEqual(['ru']);
  });
  it('when the mediator accepts under quorum sides, then forbidden', () => expect(accept('us.envoy')).toBe('forbidden'));
  it('given quorum all, when the mediator accepts, then accepted', () => {
    const g = NegotiationFixture.opened({ quorum: 'all', auditorsRead: false });
    const p = g.propose([g.request()]);
    expect(codeOf(g, g.build('us.envoy', 'ProposalAccepted', { proposal: p, proposalHash: g.proposalHash(p) }, null))).toBe('accepted');
  });
  it('when the proposal does not exist, then unknown_proposal', () => expect(accept('ua.lead', randomUUID())).toBe('unknown_proposal'));
  it('given a rejected proposal, then invalid_transition', () => {
    f.apply(f.build('ru.lead', 'ProposalRejected', { proposal, proposalHash: f.proposalHash(proposal) }, null));
    expect(accept('ua.lead')).toBe('invalid_transition');
  });
  it('when proposalHash is not the submission hash, then proposal_hash_mismatch', () => expect(accept('ua.lead', proposal, 'b'.repeat(64))).toBe('proposal_hash_mismatch'));
  it("given a side named like a member of every JS object ('constructor'), then its first acceptance is accepted and completes the quorum", () => {
    const g = new NegotiationFixture();
    const participants = [g.participant('ua.lead', 'ua', 'negotiator'), g.participant('ctor.lead', 'constructor', 'negotiator')];
    const parties = [{ id: 'constructor', kind: 'side' as const }, { id: 'ua', kind: 'side' as const }];
    g.apply(g.build('ua.lead', 'ChannelOpened', { parties, participants, notary: { signKey: NOTARY_SIGN_KEY }, policy: { quorum: 'sides', auditorsRead: false } }, { title: 't', mandate: 'm' }));
    const p = g.propose([g.request('ua.lead', 'constructor')], 'ua.lead');
    g.accept(p, 'ua.lead');
    expect(codeOf(g, g.build('ctor.lead', 'ProposalAccepted', { proposal: p, proposalHash: g.proposalHash(p) }, null))).toBe('accepted');
    g.accept(p, 'ctor.lead');
    expect(expectedAcceptances(g.state, g.state.proposals.get(p)!)).toHaveLength(2);
    g.apply(g.agreement(p));
    expect(g.state.proposals.get(p)!.status).toBe('agreed');
  });
  it('given the party accepted already (through another negotiator), then duplicate_acceptance', () => {
    f.apply(f.build('ua.lead', 'ParticipantAdmitted', { participant: f.participant('ua.two', 'ua', 'negotiator') }, null));
    f.accept(proposal, 'ua.lead');
    expect(accept('ua.two')).toBe('duplicate_acceptance');
  });
});

describe('ProposalRejected', () => {
  let f: NegotiationFixture;
  let proposal: string;
  beforeEach(() => {
    f = NegotiationFixture.opened();
    proposal = f.propose([f.request()]);
  });
  const reject = (sender: string, p = proposal, hash?: string) =>
    codeOf(f, f.build(sender, 'ProposalRejected', { proposal: p, proposalHash: hash ?? (f.state.proposals.get(p)?.submitted.hash ?? 'a'.repeat(64)) }, null));
  it('given a side that accepted, when it rejects while pending, then accepted and the proposal is rejected', () => {
    f.accept(proposal, 'ua.lead');
    f.apply(f.build('ua.lead', 'ProposalRejected', { proposal, proposalHash: f.proposalHash(proposal) }, null));
    expect(f.state.proposals.get(proposal)!.status).toBe('rejected');
  });
  it('when the mediator rejects, then forbidden', () => expect(reject('us.envoy')).toBe('forbidden'));
  it('when the proposal does not exist, then unknown_proposal', () => expect(reject('ua.lead', randomUUID())).toBe('unknown_proposal'));
  it('given a withdrawn proposal, then invalid_transition', () => {
    f.apply(f.build('us.envoy', 'ProposalWithdrawn', { proposal }, null));
    expect(reject('ua.lead')).toBe('invalid_transition');
  });
  it('when the hash differs, then proposal_hash_mismatch', () => expect(reject('ua.lead', proposal, 'c'.repeat(64))).toBe('proposal_hash_mismatch'));
});

describe('ProposalWithdrawn', () => {
  let f: NegotiationFixture;
  let proposal: string;
  beforeEach(() => {
    f = NegotiationFixture.opened();
    proposal = f.propose([f.request()]);
  });
  const withdraw = (sender: string, p = proposal) => codeOf(f, f.build(sender, 'ProposalWithdrawn', { proposal: p }, null));
  it("given the proposer's party, then accepted and withdrawn", () => {
    f.apply(f.build('us.envoy', 'ProposalWithdrawn', { proposal }, null));
    expect(f.state.proposals.get(proposal)!.status).toBe('withdrawn');
  });
  it('when an observer withdraws, then forbidden', () => expect(withdraw('ua.obs')).toBe('forbidden'));
  it('when the proposal does not exist, then unknown_proposal', () => expect(withdraw('ua.lead', randomUUID())).toBe('unknown_proposal'));
  it("when another party withdraws, then forbidden", () => expect(withdraw('ua.lead')).toBe('forbidden'));
  it('given it is already withdrawn, then invalid_transition', () => {
    f.apply(f.build('us.envoy', 'ProposalWithdrawn', { proposal }, null));
    expect(withdraw('us.envoy')).toBe('invalid_transition');
  });
});

describe('TransferAgreed', () => {
  let f: NegotiationFixture;
  let request: string;
  let proposal: string;
  beforeEach(() => {
    f = NegotiationFixture.opened();
    request = f.request();
    proposal = f.propose([request]);
  });
  it('given every side accepted, then accepted: agreed, requests agreed, rival proposals lapsed', () => {
    const rival = f.propose([request], 'ru.lead');
    f.accept(proposal, 'ua.lead');
    f.accept(proposal, 'ru.lead');
    f.apply(f.agreement(proposal));
    expect(f.state.proposals.get(proposal)!.status).toBe('agreed');
    expect(f.state.proposals.get(rival)!.status).toBe('lapsed');
    expect(f.state.requests.get(request)).toMatchObject({ status: 'agreed', transfer: proposal });
  });
  it('when a participant sends it, then forbidden', () => {
    f.accept(proposal, 'ua.lead');
    f.accept(proposal, 'ru.lead');
    const env = f.agreement(proposal);
    expect(codeOf(f, f.build('ua.lead', 'TransferAgreed', env.meta, null))).toBe('forbidden');
  });
  it('when the notary sends anything else, then unknown_sender', () =>
    expect(codeOf(f, f.build('notary', 'ProposalWithdrawn', { proposal }, null))).toBe('unknown_sender'));
  it('when the proposal does not exist, then unknown_proposal', () =>
    expect(codeOf(f, f.build('notary', 'TransferAgreed', { proposal: randomUUID(), proposalHash: f.proposalHash(proposal), acceptances: [] }, null))).toBe('unknown_proposal'));
  it('given it was agreed already, then invalid_transition', () => {
    f.accept(proposal, 'ua.lead');
    f.accept(proposal, 'ru.lead');
    const env = f.agreement(proposal);
    f.apply(env);
    expect(codeOf(f, f.build('notary', 'TransferAgreed', env.meta, null))).toBe('invalid_transition');
  });
  it('when the hash differs, then proposal_hash_mismatch', () =>
    expect(codeOf(f, f.build('notary', 'TransferAgreed', { proposal, proposalHash: 'd'.repeat(64), acceptances: [] }, null))).toBe('proposal_hash_mismatch'));
  it('given one side only accepted, then quorum_not_met', () => {
    f.accept(proposal, 'ua.lead');
    expect(codeOf(f, f.agreement(proposal))).toBe('quorum_not_met');
  });
  it('when an acceptance is left out of the list, then quorum_not_met', () => {
    f.accept(proposal, 'ua.lead');
    f.accept(proposal, 'ru.lead');
    const [first] = Object.values(f.state.proposals.get(proposal)!.acceptances).map((a) => a.hash);
    expect(codeOf(f, f.agreement(proposal, [first]))).toBe('quorum_not_met');
  });
  it('when the list holds more acceptances than a channel can have parties, then quorum_not_met (step 8), not malformed', () => {
    f.accept(proposal, 'ua.lead');
    f.accept(proposal, 'ru.lead');
    const many = Array.from({ length: 40 }, (_, i) => i.toString(16).padStart(64, '0'));
    expect(codeOf(f, f.agreement(proposal, many))).toBe('quorum_not_met');
  });
  it('given quorum all, when the mediator has not accepted, then quorum_not_met', () => {
    const g = NegotiationFixture.opened({ quorum: 'all', auditorsRead: false });
    const p = g.propose([g.request()]);
    g.accept(p, 'ua.lead');
    g.accept(p, 'ru.lead');
    expect(codeOf(g, g.agreement(p))).toBe('quorum_not_met');
    g.accept(p, 'us.envoy');
    expect(codeOf(g, g.agreement(p))).toBe('accepted');
  });
});

describe('HandoverConfirmed', () => {
  let f: NegotiationFixture;
  let t: { proposal: string; requests: string[] };
  beforeEach(() => {
    f = NegotiationFixture.opened();
    t = f.agreedTransfer();
  });
  const confirm = (sender: string, step: 'released' | 'received', proposal = t.proposal, request = t.requests[0]) =>
    codeOf(f, f.build(sender, 'HandoverConfirmed', { proposal, request, step }, null));
  it('given release by the holder then receipt by the requester, then accepted in turn', () => {
    f.handover(t.proposal, t.requests[0], 'released');
    f.handover(t.proposal, t.requests[0], 'received');
    expect(f.state.requests.get(t.requests[0])!.status).toBe('received');
  });
  it('when an observer confirms, then forbidden', () => expect(confirm('ua.obs', 'released')).toBe('forbidden'));
  it('when the proposal does not exist, then unknown_proposal', () => expect(confirm('ru.lead', 'released', randomUUID())).toBe('unknown_proposal'));
  it('when the request does not exist, then unknown_request', () => expect(confirm('ru.lead', 'released', t.proposal, randomUUID())).toBe('unknown_request'));
  it('when the requester confirms a release, then forbidden', () => expect(confirm('ua.lead', 'released')).toBe('forbidden'));
  it('when received before released, then invalid_transition', () => expect(confirm('ua.lead', 'received')).toBe('invalid_transition'));
  it('when the proposal does not name the request, then invalid_transition', () => {
    const other = f.request();
    expect(confirm('ru.lead', 'released', t.proposal, other)).toBe('invalid_transition');
  });
});

describe('ReunificationCompleted', () => {
  let f: NegotiationFixture;
  let t: { proposal: string; requests: string[] };
  beforeEach(() => {
    f = NegotiationFixture.opened();
    t = f.agreedTransfer([f.request(), f.request()].sort());
  });
  const complete = (sender: string, request = t.requests[0]) => codeOf(f, f.build(sender, 'ReunificationCompleted', { request }, null));
  it('given every request received, when each is completed, then reunited and the transfer completed', () => {
    for (const r of t.requests) {
      f.handover(t.proposal, r, 'released');
      f.handover(t.proposal, r, 'received');
      f.apply(f.build('ua.lead', 'ReunificationCompleted', { request: r }, null));
    }
    expect(t.requests.map((r) => f.state.requests.get(r)!.status)).toEqual(['reunited', 'reunited']);
    expect(f.state.proposals.get(t.proposal)!.status).toBe('completed');
  });
  it('when an observer completes, then forbidden', () => expect(complete('ua.obs')).toBe('forbidden'));
  it('when the request does not exist, then unknown_request', () => expect(complete('ua.lead', randomUUID())).toBe('unknown_request'));
  it('when the holder completes, then forbidden', () => expect(complete('ru.lead')).toBe('forbidden'));
  it('given only released, then invalid_transition', () => {
    f.handover(t.proposal, t.requests[0], 'released');
    expect(complete('ua.lead')).toBe('invalid_transition');
  });
});

describe('TransferCancelled', () => {
  let f: NegotiationFixture;
  let t: { proposal: string; requests: string[] };
  beforeEach(() => {
    f = NegotiationFixture.opened();
    t = f.agreedTransfer();
  });
  const cancel = (sender: string, proposal = t.proposal) => codeOf(f, f.build(sender, 'TransferCancelled', { proposal }, { reason: 'r' }));
  it('given an agreed transfer, when the holder cancels, then accepted and its requests are open again', () => {
    f.apply(f.build('ru.lead', 'TransferCancelled', { proposal: t.proposal }, { reason: 'r' }));
    expect(f.state.proposals.get(t.proposal)!.status).toBe('cancelled');
    expect(f.state.requests.get(t.requests[0])).toMatchObject({ status: 'open', transfer: null });
  });
  it('when the mediator cancels, then forbidden', () => expect(cancel('us.envoy')).toBe('forbidden'));
  it('when the proposal does not exist, then unknown_proposal', () => expect(cancel('ua.lead', randomUUID())).toBe('unknown_proposal'));
  it('given a third side not involved, when it cancels, then forbidden', () => {
    const g = new NegotiationFixture();
    const env = g.opening({ quorum: 'sides', auditorsRead: false });
    const meta = structuredClone(env.meta);
    meta.parties = [...meta.parties, { id: 'zz', kind: 'side' }];
    meta.participants = [...meta.participants, g.participant('zz.lead', 'zz', 'negotiator')];
    g.apply(g.build('ua.lead', 'ChannelOpened', meta, { t: 1 }));
    const r = g.request();
    const p = g.propose([r]);
    for (const s of ['ua.lead', 'ru.lead', 'zz.lead']) g.accept(p, s);
    g.apply(g.agreement(p));
    expect(codeOf(g, g.build('zz.lead', 'TransferCancelled', { proposal: p }, { reason: 'r' }))).toBe('forbidden');
  });
  it('given a pending (not agreed) proposal, then invalid_transition', () => expect(cancel('ua.lead', f.propose([f.request()]))).toBe('invalid_transition'));
  it('given a request already released, then invalid_transition', () => {
    f.handover(t.proposal, t.requests[0], 'released');
    expect(cancel('ua.lead')).toBe('invalid_transition');
  });
});

describe('auditorsBeyondAudience (what clients ask about before sending a back channel)', () => {
  const withSideAuditor = (auditorsRead: boolean) => {
    const f = NegotiationFixture.opened({ quorum: 'sides', auditorsRead });
    f.apply(f.build('ru.lead', 'ParticipantAdmitted', { participant: f.participant('ru.eyes', 'ru', 'auditor') }, null));
    return f;
  };
  it('given auditorsRead and an auditor of side ru, when ru is left out of the audience, then that auditor is named', () =>
    expect(auditorsBeyondAudience(withSideAuditor(true).state, ['ua', 'us'])).toEqual([{ id: 'ru.eyes', party: 'ru' }]));
  it('when ru is in the audience, then nobody', () => expect(auditorsBeyondAudience(withSideAuditor(true).state, ['ru', 'ua'])).toEqual([]));
  it('given the auditor of an observer party (icrc), then never named: reading everything is its job', () =>
    expect(auditorsBeyondAudience(NegotiationFixture.opened({ quorum: 'sides', auditorsRead: true }).state, ['ua'])).toEqual([]));
  it('given auditorsRead false, then nobody: auditors read no message', () =>
    expect(auditorsBeyondAudience(withSideAuditor(false).state, ['ua', 'us'])).toEqual([]));
});
