import type { Signer } from '../protocol';

/** DI token for the server's notary key (DESIGN.md 1.2): signs TransferAgreed. */
export const NOTARY_KEY = Symbol('NOTARY_KEY');

export interface NotaryKey {
  /** b64u Ed25519 public key; GET /v1/notary answers it and ChannelOpened must name it. */
  signKey: string;
  sign: Signer;
}
