/**
 * What the notary decides and signs, as pure functions: whether a proposal's quorum is met
 * and, if so, the TransferAgreed envelope. Its id is derived from channel and proposal, so
 * every retry and every racing server instance produces the same id: the store keeps
 * exactly one, and a second is refused as a duplicate (or answered 200 when identical).
 */
import { createHash } from 'node:crypto';
import {
  ChannelState,
  Envelope,
  expectedAcceptances,
  MetaByType,
  NOTARY,
  signEnvelope,
  type Signer,
} from '../protocol';

/** A UUID (version 8, RFC 9562 custom) from SHA-256 of the channel and the proposal. */
export function transferAgreementId(channel: string, proposal: string): string {
  const b = createHash('sha256').update(`parley/v1/notary/transfer-agreed\n${channel}\n${proposal}`).digest();
  b[6] = (b[6] & 0x0f) | 0x80;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = b.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

export type AgreementDecision =
  | { due: true; meta: MetaByType['TransferAgreed'] }
  | { due: false; reason: 'unknown_proposal' | 'not_pending' | 'quorum_not_met' | 'other_notary' };

/** Is a TransferAgreed due for `proposal` in `state`, signed by the notary whose key is `signKey`? */
export function agreementDecision(state: ChannelState, proposal: string, signKey: string): AgreementDecision {
  const p = state.proposals.get(proposal);
  if (!p) return { due: false, reason: 'unknown_proposal' };
  if (p.status !== 'pending') return { due: false, reason: 'not_pending' };
  // A channel naming another notary cannot be agreed by this one (its signature would not verify).
  if (state.notaryKey !== signKey) return { due: false, reason: 'other_notary' };
  const acceptances = expectedAcceptances(state, p);
  if (!acceptances) return { due: false, reason: 'quorum_not_met' };
  return { due: true, meta: { proposal, proposalHash: p.submitted.hash, acceptances } };
}

/** The signed TransferAgreed at the channel's head; `at` is the notary's own clock. */
export function buildTransferAgreed(
  state: ChannelState,
  meta: MetaByType['TransferAgreed'],
  sign: Signer,
  at: Date,
): Envelope<'TransferAgreed'> {
  const channel = state.channel!;
  return signEnvelope(
    {
      v: 1,
      id: transferAgreementId(channel, meta.proposal),
      channel,
      seq: state.nextSeq,
      prev: state.head,
      type: 'TransferAgreed',
      sender: NOTARY,
      at: at.toISOString(),
      meta,
      body: null,
    },
    sign,
  ) as Envelope<'TransferAgreed'>;
}
