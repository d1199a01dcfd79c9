/**
 * The state a channel's events fold into (the decider's state). Built only from public
 * metadata, it is all the rules need and all the read models show: parties, participants,
 * requests, proposals and transfers with their statuses and the events that moved them.
 */
import { ZERO_HASH } from '../encoding';
import type {
  HandoverStep,
  InformationKind,
  Participant,
  PartyKind,
  Policy,
  RequestCategory,
  Role,
} from '../types';

export type RequestStatus = 'open' | 'agreed' | 'released' | 'received' | 'reunited' | 'withdrawn';
export type ProposalStatus =
  | 'pending'
  | 'agreed'
  | 'rejected'
  | 'withdrawn'
  | 'superseded'
  | 'lapsed'
  | 'completed'
  | 'cancelled';

/** Who did something, when, in which event: what read models show for each step. */
export interface EventRef {
  seq: number;
  hash: string;
  sender: string;
  at: string;
}

export interface ParticipantState {
  record: Participant;
  id: string;
  party: string;
  role: Role;
  active: boolean;
  /** Seq of the event that admitted it: it reads content from there on. */
  admittedAt: number;
  revokedAt: number | null;
  replacedBy: string | null;
}

export interface RequestState {
  id: string;
  party: string; // the requesting party
  holder: string;
  category: RequestCategory;
  status: RequestStatus;
  requested: EventRef;
  updated: EventRef;
  /** Every proposal that has named it, in order. */
  proposals: string[];
  /** Proposals naming it that are still pending ("proposed" while non-empty). */
  pendingProposals: string[];
  /** The agreed proposal (transfer) it is part of, while it is. */
  transfer: string | null;
  information: Record<InformationKind, number>;
  released: EventRef | null;
  received: EventRef | null;
  reunited: EventRef | null;
  withdrawn: (EventRef & { reason: string }) | null;
}

export interface ProposalState {
  id: string;
  party: string; // the proposer's party
  submitted: EventRef;
  requests: string[];
  supersedes: string | null;
  status: ProposalStatus;
  /** The first ProposalAccepted of each party: party → event. */
  acceptances: Record<string, EventRef>;
  rejections: Record<string, EventRef>;
  agreed: (EventRef & { acceptances: string[] }) | null;
  closed: EventRef | null; // the event that took it out of pending or ended its transfer
}

export interface ChannelState {
  channel: string | null;
  /** The seq the next event must carry. */
  nextSeq: number;
  /** Hash of the last event (the `prev` of the next), 64 zeros before the first. */
  head: string;
  ids: Set<string>;
  opened: EventRef | null;
  parties: Map<string, PartyKind>;
  participants: Map<string, ParticipantState>;
  signKeys: Set<string>;
  boxKeys: Set<string>;
  notaryKey: string | null;
  policy: Policy | null;
  requests: Map<string, RequestState>;
  proposals: Map<string, ProposalState>;
}

export function initialState(): ChannelState {
  return {
    channel: null,
    nextSeq: 0,
    head: ZERO_HASH,
    ids: new Set(),
    opened: null,
    parties: new Map(),
    participants: new Map(),
    signKeys: new Set(),
    boxKeys: new Set(),
    notaryKey: null,
    policy: null,
    requests: new Map(),
    proposals: new Map(),
  };
}

/** A request's status as shown: `proposed` is an open request that a pending proposal names. */
export type DisplayStatus = RequestStatus | 'proposed';
export const DISPLAY_STATUSES: readonly DisplayStatus[] = ['open', 'proposed', 'agreed', 'released', 'received', 'reunited', 'withdrawn'];

/** A request's status as people read it: `open` shows as `proposed` while a pending proposal names it. */
export function displayStatus(r: RequestState): DisplayStatus {
  return r.status === 'open' && r.pendingProposals.length > 0 ? 'proposed' : r.status;
}

/**
 * An agreed transfer's requests, each with its displayed status, and the handovers made
 * under it. A cancelled transfer's requests may be in a later transfer by now: their status
 * is shown as it is, but their steps count for the transfer they were taken under (a
 * cancellation needs none released), so one person is never counted under two transfers.
 */
export function transferRequests(state: ChannelState, p: ProposalState): {
  requests: { request: string; status: DisplayStatus }[];
  progress: { total: number; released: number; received: number; reunited: number };
} {
  const own = p.requests.map((id) => state.requests.get(id)!).map((r) => ({ r, underThis: r.transfer === p.id }));
  const reached = (steps: RequestStatus[]) => own.filter(({ r, underThis }) => underThis && steps.includes(r.status)).length;
  return {
    requests: own.map(({ r }) => ({ request: r.id, status: displayStatus(r) })),
    progress: {
      total: own.length,
      released: reached(['released', 'received', 'reunited']),
      received: reached(['received', 'reunited']),
      reunited: reached(['reunited']),
    },
  };
}

/** The parties whose acceptance a proposal needs under the channel's quorum policy. */
export function requiredParties(state: ChannelState): string[] {
  const all = state.policy?.quorum === 'all';
  return [...state.parties]
    .filter(([, kind]) => kind === 'side' || (all && kind === 'mediator'))
    .map(([id]) => id)
    .sort();
}

export function activeParticipants(state: ChannelState): ParticipantState[] {
  return [...state.participants.values()].filter((p) => p.active);
}
