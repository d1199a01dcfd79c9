import { canonical, b64uDecode, b64uEncode, sha256Hex } from './encoding';
import { ed25519KeyPair, ed25519Signer, ed25519Verify, isUsablePublicKey, x25519KeyPair } from './crypto';
import type { Participant, Role } from './types';

/** A participant's (or the notary's) secret material; lives only on the client. */
export interface Identity {
  signSeed: string; // b64u Ed25519 seed (32 bytes)
  boxSecret: string; // b64u X25519 secret (32 bytes)
  signKey: string; // b64u Ed25519 public key
  boxKey: string; // b64u X25519 public key
}

export function generateIdentity(): Identity {
  const sign = ed25519KeyPair();
  const box = x25519KeyPair();
  return {
    signSeed: b64uEncode(sign.secretKey),
    boxSecret: b64uEncode(box.secretKey),
    signKey: b64uEncode(sign.publicKey),
    boxKey: b64uEncode(box.publicKey),
  };
}

/** Rebuilds the public halves from the secrets (and so checks a stored identity). */
export function identityFromSecrets(signSeed: string, boxSecret: string): Identity {
  const seed = b64uDecode(signSeed, 32);
  const secret = b64uDecode(boxSecret, 32);
  if (!seed || !secret) throw new Error('an identity needs a 32-byte signSeed and boxSecret in b64u');
  return {
    signSeed,
    boxSecret,
    signKey: b64uEncode(ed25519KeyPair(seed).publicKey),
    boxKey: b64uEncode(x25519KeyPair(secret).publicKey),
  };
}

const FINGERPRINT_PREFIX = 'parley/v1/fingerprint\n';
const PARTICIPANT_PREFIX = 'parley/v1/participant\n';

/** hex(SHA-256("parley/v1/fingerprint\n" ‖ signKey ‖ boxKey)) over the raw 32-byte keys. */
export function fingerprint(keys: { signKey: string; boxKey: string }): string {
  const sign = b64uDecode(keys.signKey, 32);
  const box = b64uDecode(keys.boxKey, 32);
  if (!sign || !box) throw new Error('a fingerprint needs 32-byte b64u keys');
  return sha256Hex(FINGERPRINT_PREFIX, sign, box);
}

/** The fingerprint as people compare it out of band: 16 groups of four hex digits. */
export function safetyNumber(fp: string): string {
  return fp.match(/.{4}/g)!.join(' ');
}

export interface ParticipantFields {
  id: string;
  party: string;
  role: Role;
  signKey: string;
  boxKey: string;
}

/** The exact string a participant signs to prove key possession and consent to a channel. */
export function participantProofInput(channel: string, p: ParticipantFields): string {
  const { id, party, role, signKey, boxKey } = p;
  return PARTICIPANT_PREFIX + canonical({ channel, id, party, role, signKey, boxKey });
}

/** A participant record for `channel`, with its proof, made by the participant itself. */
export function makeParticipant(
  channel: string,
  identity: Identity,
  fields: { id: string; party: string; role: Role },
): Participant {
  const base = { ...fields, signKey: identity.signKey, boxKey: identity.boxKey };
  const proof = ed25519Signer(b64uDecode(identity.signSeed, 32)!)(Buffer.from(participantProofInput(channel, base)));
  return { ...base, proof: b64uEncode(proof) };
}

/**
 * The proof verifies, and both keys are ones a key pair can have. A key of small order
 * proves nothing: a "proof" under such a sign key needs no secret, and a box key of small
 * order would let everyone open what is sealed to it (crypto.ts, SMALL_ORDER).
 */
export function verifyParticipantProof(channel: string, p: Participant): boolean {
  const sig = b64uDecode(p.proof, 64);
  return (
    sig !== null &&
    isUsablePublicKey(p.boxKey, 'X25519') &&
    ed25519Verify(p.signKey, Buffer.from(participantProofInput(channel, p)), sig)
  );
}

/** Why a participant's keys cannot be proven, if that is why its proof fails; else null. */
export function participantKeyProblem(p: ParticipantFields): string | null {
  if (!isUsablePublicKey(p.signKey, 'Ed25519')) return `${p.id}'s signKey is a point of small order, which no key pair has`;
  if (!isUsablePublicKey(p.boxKey, 'X25519')) return `${p.id}'s boxKey is a point of small order, which no key pair has`;
  return null;
}
