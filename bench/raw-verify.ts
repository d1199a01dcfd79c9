/**
 * The baseline every ratio divides by: node:crypto Ed25519 verifies of these envelopes' own
 * signing inputs, one thread, the signer's key imported once. Forms and keys are made
 * beforehand, so a call is the raw verify alone.
 */
import { verify } from 'node:crypto';
import { b64uDecode, ed25519PublicKey, envelopeForms, type Envelope } from '../src/protocol';

/** Verifies message `i` (modulo their number); throws if a signature does not verify. */
export type RawVerify = (i: number) => void;

export function rawVerifier(messages: Envelope[], signKey: string): RawVerify {
  const inputs = messages.map((e) => envelopeForms(e).signingInput);
  const sigs = messages.map((e) => b64uDecode(e.sig, 64)!);
  const key = ed25519PublicKey(signKey);
  if (!key) throw new Error('the sign key is not an Ed25519 public key');
  return (i) => {
    const k = i % inputs.length;
    if (!verify(null, inputs[k], key, sigs[k])) throw new Error('raw verify failed');
  };
}
