/**
 * `check(state, envelope)`: the decider's check, DESIGN.md 1.5 in its order. Returns the
 * violations found; the checks stop at the first failure (later checks presuppose the
 * earlier ones), so the list holds at most one. Empty means the event may be appended.
 */
import { verifyEnvelopeSignature } from '../envelope';
import { shapeProblem } from '../shape';
import { Envelope, MetaByType, NOTARY } from '../types';
import { violation, Violation } from '../violations';
import { ChannelState } from './channel-state';
import { BODY_RULES, requiredRecipients } from './recipients';
import { checkTypeRules, ProofCheck, Sender } from './type-rules';

export interface CheckOptions {
  /** The channel appended to (the server's path); an auditor reading a log leaves it out. */
  channel?: string;
  /**
   * Step 6 with the key the state names for the sender; defaults to verifyEnvelopeSignature.
   * The auditor passes verdicts its worker threads computed, and verifies itself for any key
   * they did not use: the result must be exactly verifyEnvelopeSignature's.
   */
  verifySignature?: (env: Envelope, signKey: string) => boolean;
  /** Step 8's participant proofs, as verifySignature for the signature; defaults to verifyParticipantProof. */
  verifyProof?: ProofCheck;
  /**
   * Skips steps 3 and 4 (seq, prev, id): for a reader that folds only some of a channel's
   * events — the key directory folds the membership events — and so cannot know them.
   */
  withoutChain?: boolean;
}

export function check(state: ChannelState, input: unknown, options: CheckOptions = {}): Violation[] {
  const found = firstViolation(state, input, options);
  return found ? [found] : [];
}

export function firstViolation(state: ChannelState, input: unknown, options: CheckOptions = {}): Violation | null {
  // 1. Shape.
  const problem = shapeProblem(input);
  if (problem) return violation('malformed', problem);
  const env = input as Envelope;

  // 2. Channel.
  if (options.channel !== undefined && env.channel !== options.channel) {
    return violation('wrong_channel', `the envelope is for channel ${env.channel}, not ${options.channel}`);
  }
  if (state.channel !== null && env.channel !== state.channel) {
    return violation('wrong_channel', `the envelope is for channel ${env.channel}, not ${state.channel}`);
  }

  if (!options.withoutChain) {
    // 3. Chain.
    if (env.seq !== state.nextSeq) return violation('seq_gap', `seq ${env.seq} is not the next seq ${state.nextSeq}`);
    if (env.prev !== state.head) return violation('prev_mismatch', `prev is not the hash of the event at seq ${env.seq - 1}`);

    // 4. Id.
    if (state.ids.has(env.id)) return violation('duplicate_id', `id ${env.id} is already used in this channel`);
  }

  // 5. Sender.
  const resolved = resolveSender(state, env);
  if ('code' in resolved) return resolved;
  const { sender, signKey } = resolved;

  // 6. Signature.
  const verify = options.verifySignature ?? verifyEnvelopeSignature;
  if (!verify(env, signKey)) return violation('bad_signature', `sig does not verify with ${env.sender}'s signKey`);

  // 7. Body.
  const bodyRule = BODY_RULES[env.type];
  if (bodyRule === 'required' && env.body === null) return violation('body_required', `${env.type} requires a body`);
  if (bodyRule === 'forbidden' && env.body !== null) return violation('body_forbidden', `${env.type} must not have a body`);
  if (env.body !== null) {
    const want = requiredRecipients(state, env).map((r) => r.id);
    const got = env.body.keys.map((k) => k.to); // sorted and unique (shape)
    if (want.length !== got.length || want.some((id, i) => id !== got[i])) {
      return violation('recipients_mismatch', `the body must be readable by exactly: ${want.join(', ') || 'nobody'}`);
    }
  }

  // 8. The type's own rules.
  return checkTypeRules(state, env, sender, options.verifyProof);
}

function resolveSender(state: ChannelState, env: Envelope): { sender: Sender; signKey: string } | Violation {
  if (env.sender === NOTARY) {
    if (env.type !== 'TransferAgreed' || state.notaryKey === null) {
      return violation('unknown_sender', 'the notary sends only TransferAgreed');
    }
    return { sender: { id: NOTARY, party: null, partyKind: null, role: 'notary' }, signKey: state.notaryKey };
  }
  if (!state.opened && env.type === 'ChannelOpened') {
    // The opening event introduces its own participants (shape checked the sender is one).
    const meta = env.meta as MetaByType['ChannelOpened'];
    const p = meta.participants.find((x) => x.id === env.sender)!;
    const kind = meta.parties.find((x) => x.id === p.party)!.kind;
    return { sender: { id: p.id, party: p.party, partyKind: kind, role: p.role }, signKey: p.signKey };
  }
  const p = state.participants.get(env.sender);
  if (!p) return violation('unknown_sender', `no participant ${env.sender} in this channel`);
  if (!p.active) return violation('revoked_sender', `participant ${env.sender} has been revoked`);
  return {
    sender: { id: p.id, party: p.party, partyKind: state.parties.get(p.party) ?? null, role: p.role },
    signKey: p.record.signKey,
  };
}
