/**
 * Which channels a request key (keyid = participant fingerprint) belongs to. The guard
 * resolves every signed request's keyid through this port.
 */
export const KEY_DIRECTORY = Symbol('KEY_DIRECTORY');

export interface KeyMembership {
  channel: string;
  participant: string;
  /** False once the participant was revoked (or replaced by a key rotation). */
  active: boolean;
  /** b64u Ed25519 key the request signature must verify with. */
  signKey: string;
}

export interface KeyDirectory {
  /** Every membership ever held by the key, active or not; empty for a key no channel knows. */
  resolve(keyid: string): Promise<KeyMembership[]>;
}
