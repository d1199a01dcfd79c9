/**
 * Step 8 of DESIGN.md 1.5: each event type's own rules, each list in the order the design
 * gives, returning the first violation. Runs after the generic checks (shape, chain,
 * sender, signature, body), so the envelope is well-formed and its sender resolved.
 */
import { participantKeyProblem, verifyParticipantProof } from '../keys';
import type { Envelope, EventType, Participant, PartyKind, Role } from '../types';
import { violation, Violation } from '../violations';
import { ChannelState, ProposalState, RequestState, requiredParties } from './channel-state';

/** The resolved sender: a participant (with its party's kind) or the notary. */
export interface Sender {
  id: string;
  party: string | null;
  partyKind: PartyKind | null;
  role: Role | 'notary';
}

/** Whether a participant record's proof verifies for the channel (CheckOptions.verifyProof). */
export type ProofCheck = (channel: string, p: Participant) => boolean;

type Rule<T extends EventType> = (state: ChannelState, env: Envelope<T>, sender: Sender, proofOk: ProofCheck) => Violation | null;

const forbidden = (message: string) => violation('forbidden', message);
const invalid = (message: string) => violation('invalid_transition', message);

const isNegotiator = (s: Sender) => s.role === 'negotiator';
const isSideNegotiator = (s: Sender) => isNegotiator(s) && s.partyKind === 'side';

function requestOf(state: ChannelState, id: string): RequestState | Violation {
  return state.requests.get(id) ?? violation('unknown_request', `request ${id} does not exist`);
}

function proposalOf(state: ChannelState, id: string): ProposalState | Violation {
  return state.proposals.get(id) ?? violation('unknown_proposal', `proposal ${id} does not exist`);
}

const isViolation = (x: object): x is Violation => 'code' in x;

function keysUnused(state: ChannelState, p: Participant): Violation | null {
  if (state.participants.has(p.id)) return violation('duplicate_participant', `participant id ${p.id} was used before`);
  if (state.signKeys.has(p.signKey)) return violation('duplicate_participant', `${p.id}'s signKey was used before`);
  if (state.boxKeys.has(p.boxKey)) return violation('duplicate_participant', `${p.id}'s boxKey was used before`);
  return null;
}

function proof(channel: string, p: Participant, proofOk: ProofCheck): Violation | null {
  if (proofOk(channel, p)) return null;
  return violation('bad_proof', participantKeyProblem(p) ?? `${p.id}'s proof does not verify for this channel`);
}

function pending(p: ProposalState): Violation | null {
  return p.status === 'pending' ? null : invalid(`proposal ${p.id} is ${p.status}, not pending`);
}

function hashMatches(p: ProposalState, hash: string): Violation | null {
  return p.submitted.hash === hash
    ? null
    : violation('proposal_hash_mismatch', `proposalHash is not the hash of proposal ${p.id}'s submission`);
}

const rules: { [T in EventType]: Rule<T> } = {
  ChannelOpened(state, env, _sender, proofOk) {
    if (state.opened) return invalid('ChannelOpened is allowed only at seq 0');
    for (const p of env.meta.participants) {
      const bad = proof(env.channel, p, proofOk);
      if (bad) return bad;
    }
    return null;
  },

  ParticipantAdmitted(state, env, sender, proofOk) {
    const p = env.meta.participant;
    if (!isNegotiator(sender)) return forbidden('only a negotiator may admit a participant');
    if (!state.parties.has(p.party)) return violation('unknown_party', `party ${p.party} does not exist`);
    if (sender.party !== p.party) return forbidden('a negotiator may admit participants of its own party only');
    return keysUnused(state, p) ?? proof(env.channel, p, proofOk);
  },

  ParticipantRevoked(state, env, sender, proofOk) {
    const { participant: targetId, replacement } = env.meta;
    if (!isNegotiator(sender) && sender.id !== targetId) {
      return forbidden('only a negotiator, or the participant itself, may revoke');
    }
    const target = state.participants.get(targetId);
    if (!target || !target.active) return invalid(`participant ${targetId} is not active`);
    if (sender.party !== target.party) return forbidden("a negotiator may revoke its own party's participants only");
    if (replacement) {
      if (replacement.party !== target.party || replacement.role !== target.role) {
        return forbidden("a replacement must have the revoked participant's party and role");
      }
      const bad = keysUnused(state, replacement) ?? proof(env.channel, replacement, proofOk);
      if (bad) return bad;
    }
    // Afterwards every side and mediator party must still have an active negotiator.
    const party = target.party;
    const kind = state.parties.get(party);
    if (kind !== 'observer' && target.role === 'negotiator' && replacement?.role !== 'negotiator') {
      const others = [...state.participants.values()].some(
        (p) => p.active && p.id !== targetId && p.party === party && p.role === 'negotiator',
      );
      if (!others) return invalid(`party ${party} would be left without an active negotiator`);
    }
    return null;
  },

  MessagePosted(state, env, sender) {
    if (sender.role === 'auditor') return forbidden('auditors do not post messages');
    for (const party of env.meta.audience) {
      if (!state.parties.has(party)) return violation('unknown_party', `party ${party} does not exist`);
    }
    if (!env.meta.audience.includes(sender.party!)) return forbidden("the audience must include the sender's party");
    return null;
  },

  ReunificationRequested(state, env, sender) {
    if (!isSideNegotiator(sender)) return forbidden('only a negotiator of a side may request a reunification');
    const holderKind = state.parties.get(env.meta.holder);
    if (!holderKind) return violation('unknown_party', `party ${env.meta.holder} does not exist`);
    if (holderKind !== 'side' || env.meta.holder === sender.party) {
      return forbidden("the holder must be a side other than the sender's party");
    }
    if (state.requests.has(env.meta.request)) return invalid(`request ${env.meta.request} already exists`);
    return null;
  },

  RequestInformationShared(state, env, sender) {
    if (!isNegotiator(sender)) return forbidden('only a negotiator may share request information');
    const r = requestOf(state, env.meta.request);
    if (isViolation(r)) return r;
    if (r.status === 'reunited' || r.status === 'withdrawn') return invalid(`request ${r.id} is ${r.status}`);
    return null;
  },

  RequestWithdrawn(state, env, sender) {
    if (!isNegotiator(sender)) return forbidden('only a negotiator may withdraw a request');
    const r = requestOf(state, env.meta.request);
    if (isViolation(r)) return r;
    if (sender.party !== r.party) return forbidden('only the requesting party may withdraw a request');
    if (r.status !== 'open') return invalid(`request ${r.id} is ${r.status}, not open`);
    if (r.pendingProposals.length > 0) return invalid(`request ${r.id} is named by a pending proposal`);
    return null;
  },

  ProposalSubmitted(state, env, sender) {
    const m = env.meta;
    if (!isNegotiator(sender) || (sender.partyKind !== 'side' && sender.partyKind !== 'mediator')) {
      return forbidden('only a negotiator of a side or mediator may propose');
    }
    for (const id of m.requests) {
      const r = requestOf(state, id);
      if (isViolation(r)) return r;
    }
    const superseded = m.supersedes === undefined ? null : proposalOf(state, m.supersedes);
    if (superseded && isViolation(superseded)) return superseded;
    if (state.proposals.has(m.proposal)) return invalid(`proposal ${m.proposal} already exists`);
    for (const id of m.requests) {
      const r = state.requests.get(id)!;
      if (r.status !== 'open') return invalid(`request ${id} is ${r.status}, not open`);
    }
    if (superseded) return pending(superseded);
    return null;
  },

  ProposalAccepted(state, env, sender) {
    const mayAccept = isSideNegotiator(sender) || (isNegotiator(sender) && sender.partyKind === 'mediator' && state.policy?.quorum === 'all');
    if (!mayAccept) return forbidden('only a negotiator of a side (or of a mediator under quorum all) may accept');
    const p = proposalOf(state, env.meta.proposal);
    if (isViolation(p)) return p;
    const bad = pending(p) ?? hashMatches(p, env.meta.proposalHash);
    if (bad) return bad;
    // Own members only: a party id may be a name Object.prototype has ("constructor").
    if (Object.hasOwn(p.acceptances, sender.party!)) {
      return violation('duplicate_acceptance', `party ${sender.party} already accepted proposal ${p.id}`);
    }
    return null;
  },

  ProposalRejected(state, env, sender) {
    if (!isSideNegotiator(sender)) return forbidden('only a negotiator of a side may reject');
    const p = proposalOf(state, env.meta.proposal);
    if (isViolation(p)) return p;
    return pending(p) ?? hashMatches(p, env.meta.proposalHash);
  },

  ProposalWithdrawn(state, env, sender) {
    if (!isNegotiator(sender)) return forbidden('only a negotiator may withdraw a proposal');
    const p = proposalOf(state, env.meta.proposal);
    if (isViolation(p)) return p;
    if (sender.party !== p.party) return forbidden("only the proposer's party may withdraw a proposal");
    return pending(p);
  },

  TransferAgreed(state, env, sender) {
    if (sender.role !== 'notary') return forbidden('only the notary may agree a transfer');
    const p = proposalOf(state, env.meta.proposal);
    if (isViolation(p)) return p;
    const bad = pending(p) ?? hashMatches(p, env.meta.proposalHash);
    if (bad) return bad;
    const expected = expectedAcceptances(state, p);
    if (!expected) return violation('quorum_not_met', `not every required party has accepted proposal ${p.id}`);
    const given = env.meta.acceptances;
    if (given.length !== expected.length || given.some((h, i) => h !== expected[i])) {
      return violation('quorum_not_met', 'acceptances are not exactly one acceptance per required party');
    }
    return null;
  },

  HandoverConfirmed(state, env, sender) {
    const m = env.meta;
    if (!isNegotiator(sender)) return forbidden('only a negotiator may confirm a handover');
    const p = proposalOf(state, m.proposal);
    if (isViolation(p)) return p;
    const r = requestOf(state, m.request);
    if (isViolation(r)) return r;
    if (m.step === 'released' && sender.party !== r.holder) return forbidden("only the holder's party confirms a release");
    if (m.step === 'received' && sender.party !== r.party) return forbidden('only the requesting party confirms a receipt');
    if (p.status !== 'agreed' || !p.requests.includes(r.id)) {
      return invalid(`proposal ${p.id} is not an agreed transfer of request ${r.id}`);
    }
    const from = m.step === 'released' ? 'agreed' : 'released';
    if (r.status !== from) return invalid(`request ${r.id} is ${r.status}; ${m.step} needs ${from}`);
    return null;
  },

  ReunificationCompleted(state, env, sender) {
    if (!isNegotiator(sender)) return forbidden('only a negotiator may complete a reunification');
    const r = requestOf(state, env.meta.request);
    if (isViolation(r)) return r;
    if (sender.party !== r.party) return forbidden('only the requesting party completes a reunification');
    if (r.status !== 'received') return invalid(`request ${r.id} is ${r.status}, not received`);
    return null;
  },

  TransferCancelled(state, env, sender) {
    if (!isSideNegotiator(sender)) return forbidden('only a negotiator of a side may cancel a transfer');
    const p = proposalOf(state, env.meta.proposal);
    if (isViolation(p)) return p;
    const involved = p.requests.some((id) => {
      const r = state.requests.get(id)!;
      return r.party === sender.party || r.holder === sender.party;
    });
    if (!involved) return forbidden("the sender's party neither requested nor holds any of the transfer's requests");
    if (p.status !== 'agreed') return invalid(`proposal ${p.id} is ${p.status}, not an agreed transfer`);
    const moved = p.requests.find((id) => state.requests.get(id)!.status !== 'agreed');
    if (moved) return invalid(`request ${moved} is already ${state.requests.get(moved)!.status}`);
    return null;
  },
};

/**
 * The acceptances a TransferAgreed must list: each required party's acceptance, sorted;
 * null while some required party has not accepted. The notary uses it to build its event.
 */
export function expectedAcceptances(state: ChannelState, p: ProposalState): string[] | null {
  const hashes: string[] = [];
  for (const party of requiredParties(state)) {
    if (!Object.hasOwn(p.acceptances, party)) return null;
    const a = p.acceptances[party];
    hashes.push(a.hash);
  }
  return hashes.sort();
}

export function checkTypeRules(state: ChannelState, env: Envelope, sender: Sender, proofOk: ProofCheck = verifyParticipantProof): Violation | null {
  return (rules[env.type] as Rule<EventType>)(state, env, sender, proofOk);
}

