/**
 * The vectors computed by an independent implementation of DESIGN.md Part 1. Every case in
 * PARLEY_VECTORS_DIR is checked field by field; nothing here is specific to one vector set.
 */
import {
  b64uDecode,
  canonical,
  ed25519Signer,
  envelopeForms,
  fingerprint,
  identityFromSecrets,
  makeParticipant,
  openBody,
  parseStrictJson,
  participantProofInput,
  signEnvelope,
  signingInput,
  verifyEnvelopeSignature,
  verifyParticipantProof,
  eventHash,
} from '../../src/protocol';
import { loadEnvelopeVectors } from '../support/vectors';

const v = loadEnvelopeVectors();

describe('envelopes.json', () => {
  it('is parley/v1', () => expect(v.protocol).toBe('parley/v1'));

  describe('canonical JSON (RFC 8785)', () => {
    it.each(v.canonical.map((c) => [c.input, c.canonical]))('%s', (input, expected) => {
      expect(canonical(parseStrictJson(input))).toBe(expected);
    });
  });

  describe('strict parsing rejects', () => {
    it.each(v.strictRejects.map((t) => [t]))('%s', (text) => {
      expect(() => parseStrictJson(text)).toThrow();
    });
  });

  describe('identities', () => {
    it.each(Object.entries(v.identities))('%s: public keys and fingerprint', (_name, id) => {
      const rebuilt = identityFromSecrets(id.signSeed, id.boxSecret);
      expect(rebuilt.signKey).toBe(id.signKey);
      expect(rebuilt.boxKey).toBe(id.boxKey);
      expect(fingerprint(id)).toBe(id.fingerprint);
    });
  });

  describe('participant records', () => {
    it.each(v.participants.map((p) => [p.participant.id, p]))('%s: proof input, proof, fingerprint', (_id, p) => {
      expect(participantProofInput(p.channel, p.participant)).toBe(p.proofInput);
      expect(verifyParticipantProof(p.channel, p.participant)).toBe(true);
      expect(fingerprint(p.participant)).toBe(p.fingerprint);
      // Ed25519 is deterministic: our own signing reproduces the proof exactly.
      const identity = v.identities[p.participant.id];
      expect(identity).toBeDefined();
      const made = makeParticipant(p.channel, identity, p.participant);
      expect(made).toEqual(p.participant);
      // The proof is bound to its channel.
      expect(verifyParticipantProof('00000000-0000-4000-8000-000000000000', p.participant)).toBe(false);
    });
  });

  describe('envelopes', () => {
    it.each(v.envelopes.map((e) => [e.name, e]))('%s: signing input, signature, hash', (_name, e) => {
      const env = e.envelope;
      expect(signingInput(env).toString('utf8')).toBe(e.signingInput);
      expect(envelopeForms(structuredClone(env)).signingInput.toString('utf8')).toBe(e.signingInput);
      expect(eventHash(structuredClone(env))).toBe(e.hash);
      const sender = v.identities[env.sender];
      const signKey = e.signKey ?? sender.signKey;
      expect(verifyEnvelopeSignature(structuredClone(env), signKey)).toBe(true);
      const { sig, ...unsigned } = env;
      expect(signEnvelope(unsigned, ed25519Signer(b64uDecode(sender.signSeed, 32)!)).sig).toBe(sig);
      // Any other key refuses it.
      const other = Object.values(v.identities).find((i) => i.signKey !== signKey)!;
      expect(verifyEnvelopeSignature(structuredClone(env), other.signKey)).toBe(false);
    });

    const withBodies = v.envelopes.filter((e) => e.open);
    it.each(withBodies.map((e) => [e.name, e]))('%s: opens for a recipient, stays closed to others', (_name, e) => {
      const reader = v.identities[e.open!.as];
      const opened = openBody(e.envelope.body, { id: e.open!.as, boxSecret: reader.boxSecret });
      expect(opened.ok && opened.content).toEqual(e.open!.content);
      if (e.closedTo) {
        const outsider = v.identities[e.closedTo];
        expect(openBody(e.envelope.body, { id: e.closedTo, boxSecret: outsider.boxSecret }).ok).toBe(false);
        // Even claiming a recipient's entry, the outsider's secret opens nothing.
        expect(openBody(e.envelope.body, { id: e.open!.as, boxSecret: outsider.boxSecret }).ok).toBe(false);
      }
    });

    const bodiless = v.envelopes.filter((e) => !e.open);
    it.each(bodiless.map((e) => [e.name, e]))('%s: has no body to open', (_name, e) => {
      expect(e.envelope.body).toBeNull();
    });
  });
});
