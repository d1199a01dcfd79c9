/**
 * `evolve(state, envelope)`: folds one accepted event into the channel state.
 *
 * It updates `state` in place and returns it: a channel can hold millions of events, and
 * copying its maps per event would make a replay quadratic. Callers evolve only after
 * `check` passed (and, on the server, after the store acknowledged the append), so no
 * half-applied state is ever observed. Use `cloneState` where an old state must survive.
 */
import { envelopeForms } from '../envelope';
import type { Envelope, EventType, Participant } from '../types';
import { ChannelState, EventRef, ParticipantState, ProposalState, RequestState } from './channel-state';

type Fold<T extends EventType> = (state: ChannelState, env: Envelope<T>, ref: EventRef) => void;

function addParticipant(state: ChannelState, p: Participant, seq: number): void {
  const entry: ParticipantState = {
    record: p,
    id: p.id,
    party: p.party,
    role: p.role,
    active: true,
    admittedAt: seq,
    revokedAt: null,
    replacedBy: null,
  };
  state.participants.set(p.id, entry);
  state.signKeys.add(p.signKey);
  state.boxKeys.add(p.boxKey);
}

function request(state: ChannelState, id: string, ref: EventRef): RequestState {
  const r = state.requests.get(id)!;
  r.updated = ref;
  return r;
}

/**
 * Takes a proposal out of pending: it no longer makes its requests "proposed", so each of
 * them is updated by this event (a reader of "what changed since" must see a request that
 * went back to open and needs a new proposal).
 */
function closeProposal(state: ChannelState, p: ProposalState, status: ProposalState['status'], ref: EventRef): void {
  p.status = status;
  p.closed = ref;
  for (const id of p.requests) {
    const r = request(state, id, ref);
    r.pendingProposals = r.pendingProposals.filter((x) => x !== p.id);
  }
}

const folds: { [T in EventType]: Fold<T> } = {
  ChannelOpened(state, env, ref) {
    state.channel = env.channel;
    state.opened = ref;
    for (const party of env.meta.parties) state.parties.set(party.id, party.kind);
    for (const p of env.meta.participants) addParticipant(state, p, env.seq);
    state.notaryKey = env.meta.notary.signKey;
    state.policy = { ...env.meta.policy };
  },
  ParticipantAdmitted(state, env) {
    addParticipant(state, env.meta.participant, env.seq);
  },
  ParticipantRevoked(state, env) {
    const target = state.participants.get(env.meta.participant)!;
    target.active = false;
    target.revokedAt = env.seq;
    if (env.meta.replacement) {
      target.replacedBy = env.meta.replacement.id;
      addParticipant(state, env.meta.replacement, env.seq);
    }
  },
  MessagePosted() {},
  ReunificationRequested(state, env, ref) {
    const { request: id, category, holder } = env.meta;
    state.requests.set(id, {
      id,
      party: state.participants.get(env.sender)!.party,
      holder,
      category,
      status: 'open',
      requested: ref,
      updated: ref,
      proposals: [],
      pendingProposals: [],
      transfer: null,
      information: { details: 0, health: 0, location: 0, document: 0 },
      released: null,
      received: null,
      reunited: null,
      withdrawn: null,
    });
  },
  RequestInformationShared(state, env, ref) {
    request(state, env.meta.request, ref).information[env.meta.kind] += 1;
  },
  RequestWithdrawn(state, env, ref) {
    const r = request(state, env.meta.request, ref);
    r.status = 'withdrawn';
    r.withdrawn = { ...ref, reason: env.meta.reason };
  },
  ProposalSubmitted(state, env, ref) {
    const m = env.meta;
    if (m.supersedes !== undefined) closeProposal(state, state.proposals.get(m.supersedes)!, 'superseded', ref);
    state.proposals.set(m.proposal, {
      id: m.proposal,
      party: state.participants.get(env.sender)!.party,
      submitted: ref,
      requests: [...m.requests],
      supersedes: m.supersedes ?? null,
      status: 'pending',
      acceptances: {},
      rejections: {},
      agreed: null,
      closed: null,
    });
    for (const id of m.requests) {
      const r = request(state, id, ref);
      r.proposals.push(m.proposal);
      r.pendingProposals.push(m.proposal);
    }
  },
  ProposalAccepted(state, env, ref) {
    const party = state.participants.get(env.sender)!.party;
    state.proposals.get(env.meta.proposal)!.acceptances[party] = ref;
  },
  ProposalRejected(state, env, ref) {
    const p = state.proposals.get(env.meta.proposal)!;
    p.rejections[state.participants.get(env.sender)!.party] = ref;
    closeProposal(state, p, 'rejected', ref);
  },
  ProposalWithdrawn(state, env, ref) {
    closeProposal(state, state.proposals.get(env.meta.proposal)!, 'withdrawn', ref);
  },
  TransferAgreed(state, env, ref) {
    const p = state.proposals.get(env.meta.proposal)!;
    closeProposal(state, p, 'agreed', ref);
    p.closed = null; // a transfer is open until completed or cancelled
    p.agreed = { ...ref, acceptances: [...env.meta.acceptances] };
    for (const id of p.requests) {
      const r = request(state, id, ref);
      r.status = 'agreed';
      r.transfer = p.id;
      // Every other pending proposal naming this request lapses.
      for (const other of [...r.pendingProposals]) closeProposal(state, state.proposals.get(other)!, 'lapsed', ref);
    }
  },
  HandoverConfirmed(state, env, ref) {
    const r = request(state, env.meta.request, ref);
    r.status = env.meta.step;
    r[env.meta.step] = ref;
  },
  ReunificationCompleted(state, env, ref) {
    const r = request(state, env.meta.request, ref);
    r.status = 'reunited';
    r.reunited = ref;
    const p = state.proposals.get(r.transfer!)!;
    if (p.requests.every((id) => state.requests.get(id)!.status === 'reunited')) {
      p.status = 'completed';
      p.closed = ref;
    }
  },
  TransferCancelled(state, env, ref) {
    const p = state.proposals.get(env.meta.proposal)!;
    p.status = 'cancelled';
    p.closed = ref;
    for (const id of p.requests) {
      const r = request(state, id, ref);
      r.status = 'open';
      r.transfer = null;
    }
  },
};

export function evolve(state: ChannelState, env: Envelope): ChannelState {
  const { hash } = envelopeForms(env);
  const ref: EventRef = { seq: env.seq, hash, sender: env.sender, at: env.at };
  (folds[env.type] as Fold<EventType>)(state, env, ref);
  state.ids.add(env.id);
  state.nextSeq = env.seq + 1;
  state.head = hash;
  return state;
}

/** A deep copy, for callers that must keep a state while evolving another. */
export function cloneState(state: ChannelState): ChannelState {
  return structuredClone(state);
}
