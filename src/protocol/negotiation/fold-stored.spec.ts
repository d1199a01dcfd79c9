import { randomUUID } from 'node:crypto';
import { verifyParticipantProof } from '../keys';
import { verifyEnvelopeSignature } from '../envelope';
import { firstViolation } from './check';
import { foldStored, foldStoredText } from './fold-stored';
import { NegotiationFixture } from './negotiation.fixture';

describe('foldStored', () => {
  it('given a stored event the rules allow, then folded', () => {
    const f = NegotiationFixture.opened();
    const env = f.build('ua.lead', 'MessagePosted', { audience: ['ru', 'ua'] }, { text: 'x' });
    expect(foldStored(f.state, env, f.channel)).toBeNull();
    expect(f.state.nextSeq).toBe(2);
  });
  it('given a stored event the rules refuse, then its violation, and the state as it was', () => {
    const f = NegotiationFixture.opened();
    const before = structuredClone(f.state);
    const env = f.build('ua.lead', 'ParticipantRevoked', { participant: 'ua.ghost' }, null);
    expect(foldStored(f.state, env, f.channel)).toMatchObject({ code: 'invalid_transition' });
    expect(f.state).toEqual(before);
  });
  it('given a stored admission whose signature and proof do not verify, then folded all the same (both verified at append), unless the options verify them', () => {
    const f = NegotiationFixture.opened();
    const forged = f.build('ua.lead', 'ParticipantAdmitted', { participant: { ...f.participant('ua.two', 'ua', 'observer'), proof: 'A'.repeat(86) } }, null);
    const env = { ...forged, sig: 'A'.repeat(86) };
    expect(foldStored(structuredClone(f.state), env, f.channel, { verifySignature: verifyEnvelopeSignature })).toMatchObject({ code: 'bad_signature' });
    expect(foldStored(structuredClone(f.state), env, f.channel, { verifySignature: () => true, verifyProof: verifyParticipantProof })).toMatchObject({ code: 'bad_proof' });
    expect(foldStored(f.state, env, f.channel)).toBeNull();
    expect(f.state.participants.has('ua.two')).toBe(true);
  });
  it('given text that is not strict JSON, or an envelope of another channel, then malformed or wrong_channel', () => {
    const f = NegotiationFixture.opened();
    expect(foldStoredText(f.state, '{"v":1,"v":1}', f.channel)).toMatchObject({ code: 'malformed' });
    const env = f.build('ua.lead', 'MessagePosted', { audience: ['ru', 'ua'] }, { text: 'x' });
    expect(foldStoredText(f.state, JSON.stringify(env), randomUUID())).toMatchObject({ code: 'wrong_channel' });
  });
});

describe('check withoutChain (the key directory folds membership events only)', () => {
  it('given an admission at a seq the folded state cannot know, then seq and prev are not checked, the rules are', () => {
    const f = NegotiationFixture.opened();
    const admitted = f.build('ua.lead', 'ParticipantAdmitted', { participant: f.participant('ua.two', 'ua', 'observer') }, null, (e) => {
      e.seq = 7;
      e.prev = 'a'.repeat(64);
    });
    expect(firstViolation(f.state, admitted, { channel: f.channel })).toMatchObject({ code: 'seq_gap' });
    expect(firstViolation(f.state, admitted, { channel: f.channel, withoutChain: true })).toBeNull();
    const forbidden = f.build('ru.lead', 'ParticipantAdmitted', { participant: f.participant('ua.three', 'ua', 'observer') }, null);
    expect(firstViolation(f.state, forbidden, { channel: f.channel, withoutChain: true })).toMatchObject({ code: 'forbidden' });
  });
});
