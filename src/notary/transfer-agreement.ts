/**
 * What the notary decides and signs, as pure functions: whether a proposal's quorum is met
 * and, if so, the TransferAgreed envelope. Exactly one is stored per proposal because the
 * rules refuse a second (the proposal is no longer pending), not because of its id.
 *
 * The id is random on purpose. It used to be derived from channel and proposal, which anyone
 * could compute from public meta: a member (an observer, or the last side to accept) could
 * append any event under that id first, and every later TransferAgreed was refused as
 * `duplicate_id`, so the proposal could never be agreed.
 */
import { randomUUID } from 'node:crypto';
import {
  ChannelState,
  Envelope,
  EventRef,
  expectedAcceptances,
  MetaByType,
  NOTARY,
  signEnvelope,
  type Signer,
} from '../protocol';

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

/**
 * The stored events a TransferAgreed for `proposal` vouches for, each with the key that must
 * have signed it: the proposal and the acceptances its meta lists. The notary folds its
 * state checking the signatures of membership events only (the keys below come from them);
 * these are read back and verified right before it signs, so that a row written into the
 * store past the service cannot obtain the notary's signature.
 */
export function vouchedEvents(state: ChannelState, meta: MetaByType['TransferAgreed']): { ref: EventRef; signKey: string | null }[] {
  const p = state.proposals.get(meta.proposal)!;
  const cited = new Set(meta.acceptances);
  const refs = [p.submitted, ...Object.values(p.acceptances).filter((a) => cited.has(a.hash))];
  return refs.map((ref) => ({ ref, signKey: state.participants.get(ref.sender)?.record.signKey ?? null }));
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
      id: randomUUID(),
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
