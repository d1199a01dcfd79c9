/**
 * Pure projection of a channel's folded state (src/protocol's ChannelState) into read model
 * rows. Everything here comes from public meta only and from nothing else (no wall clock,
 * no store position), so a rebuild from position 0 writes byte-identical rows.
 */
import {
  ChannelState,
  displayStatus,
  DisplayStatus,
  expectedAcceptances,
  EventRef,
  fingerprint,
  ProposalState,
  RequestState,
  transferRequests,
} from '../protocol';

export { DISPLAY_STATUSES, type DisplayStatus } from '../protocol';

/**
 * The version of what these functions write. Raise it with any change to the rows' content:
 * a start on tables written by another version empties them and projects again from
 * position 0 (a rebuild must give what an incremental projection gives).
 * 2: a transfer's requests show their displayed status, and its progress counts only the
 * handovers made under it. 3: a request's `updated` moves when a proposal naming it closes.
 */
export const READ_MODEL_VERSION = '3';
/** Statuses that take a request off the "open requests" list. */
export const CLOSED_STATUSES: readonly DisplayStatus[] = ['reunited', 'withdrawn'];

/** GET /v1/requests?status=…: `open` is every request not closed; another value, that exact status. */
export function matchesRequestStatus(item: { status: DisplayStatus }, status: string): boolean {
  return status === 'open' ? !CLOSED_STATUSES.includes(item.status) : item.status === status;
}

export interface ProposalRef {
  proposal: string;
  status: ProposalState['status'];
}

/** An item of GET /v1/requests. */
export interface RequestItem {
  channel: string;
  request: string;
  /** The requesting party. */
  party: string;
  holder: string;
  category: RequestState['category'];
  status: DisplayStatus;
  /** Every proposal that has named it, in order, with its current status. */
  proposals: ProposalRef[];
  /** The agreed proposal it is part of, while it is. */
  transfer: string | null;
  /** Counts of RequestInformationShared by kind (the content itself stays encrypted). */
  information: RequestState['information'];
  requested: EventRef;
  updated: EventRef;
  released: EventRef | null;
  received: EventRef | null;
  withdrawn: (EventRef & { reason: string }) | null;
}

/** An item of GET /v1/reunifications. */
export interface ReunificationItem {
  channel: string;
  request: string;
  party: string;
  holder: string;
  category: RequestState['category'];
  transfer: string;
  released: EventRef;
  received: EventRef;
  completed: EventRef;
}

export interface ParticipantView {
  id: string;
  party: string;
  role: string;
  fingerprint: string;
  signKey: string;
  boxKey: string;
  status: 'active' | 'revoked';
  admittedAt: number;
  revokedAt: number | null;
  replacedBy: string | null;
}

export interface ProposalView {
  proposal: string;
  party: string;
  requests: string[];
  supersedes: string | null;
  status: ProposalState['status'];
  submitted: EventRef;
  /** party → its (first) acceptance. */
  acceptances: Record<string, EventRef>;
  rejections: Record<string, EventRef>;
  closed: EventRef | null;
}

export interface TransferView {
  proposal: string;
  status: ProposalState['status'];
  agreed: EventRef & { acceptances: string[] };
  closed: EventRef | null;
  requests: { request: string; status: DisplayStatus }[];
  progress: { total: number; released: number; received: number; reunited: number };
}

/** GET /v1/channels/{channel}/state: the agreement state of one channel. */
export interface ChannelStateView {
  channel: string;
  /** The next seq and the hash it must chain to, as GET …/head answers. */
  head: { seq: number; prev: string };
  opened: EventRef;
  policy: { quorum: string; auditorsRead: boolean };
  notary: { signKey: string };
  parties: { id: string; kind: string }[];
  participants: ParticipantView[];
  requests: { request: string; party: string; holder: string; category: string; status: DisplayStatus; transfer: string | null }[];
  proposals: ProposalView[];
  transfers: TransferView[];
}

/** One key of one participant: what the signed-request guard resolves a keyid to. */
export interface KeyMembership {
  fingerprint: string;
  channel: string;
  participant: string;
  active: boolean;
  signKey: string;
}

/** Every row one channel contributes to the read models. */
export interface ChannelRows {
  channel: ChannelStateView;
  requests: RequestItem[];
  reunifications: ReunificationItem[];
  keys: KeyMembership[];
}

const byId = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** What every row about a request starts with: where it is, who asks, who holds. */
const requestHead = (channel: string, r: RequestState) => ({
  channel,
  request: r.id,
  party: r.party,
  holder: r.holder,
  category: r.category,
});

function requestItem(state: ChannelState, channel: string, r: RequestState): RequestItem {
  return {
    ...requestHead(channel, r),
    status: displayStatus(r),
    proposals: r.proposals.map((id) => ({ proposal: id, status: state.proposals.get(id)!.status })),
    transfer: r.transfer,
    information: { ...r.information },
    requested: r.requested,
    updated: r.updated,
    released: r.released,
    received: r.received,
    withdrawn: r.withdrawn,
  };
}

function reunificationItem(channel: string, r: RequestState): ReunificationItem | null {
  if (r.status !== 'reunited' || !r.reunited || !r.released || !r.received) return null;
  // A reunited request keeps `transfer` (only a cancellation clears it, and that needs it not released).
  return {
    ...requestHead(channel, r),
    transfer: r.transfer!,
    released: r.released,
    received: r.received,
    completed: r.reunited,
  };
}

function transferView(state: ChannelState, p: ProposalState): TransferView | null {
  if (!p.agreed) return null;
  return { proposal: p.id, status: p.status, agreed: p.agreed, closed: p.closed, ...transferRequests(state, p) };
}

export function channelStateView(state: ChannelState): ChannelStateView {
  if (!state.channel || !state.opened || !state.policy || !state.notaryKey) {
    throw new Error('channelStateView needs an opened channel');
  }
  const participants = [...state.participants.values()]
    .map((p): ParticipantView => ({
      id: p.id,
      party: p.party,
      role: p.role,
      fingerprint: fingerprint(p.record),
      signKey: p.record.signKey,
      boxKey: p.record.boxKey,
      status: p.active ? 'active' : 'revoked',
      admittedAt: p.admittedAt,
      revokedAt: p.revokedAt,
      replacedBy: p.replacedBy,
    }))
    .sort((a, b) => byId(a.id, b.id));
  const proposals = [...state.proposals.values()];
  return {
    channel: state.channel,
    head: { seq: state.nextSeq, prev: state.head },
    opened: state.opened,
    policy: { ...state.policy },
    notary: { signKey: state.notaryKey },
    parties: [...state.parties].map(([id, kind]) => ({ id, kind })).sort((a, b) => byId(a.id, b.id)),
    participants,
    requests: [...state.requests.values()].map((r) => ({
      request: r.id,
      party: r.party,
      holder: r.holder,
      category: r.category,
      status: displayStatus(r),
      transfer: r.transfer,
    })),
    proposals: proposals.map((p) => ({
      proposal: p.id,
      party: p.party,
      requests: [...p.requests],
      supersedes: p.supersedes,
      status: p.status,
      submitted: p.submitted,
      acceptances: { ...p.acceptances },
      rejections: { ...p.rejections },
      closed: p.closed,
    })),
    transfers: proposals.map((p) => transferView(state, p)).filter((t): t is TransferView => t !== null),
  };
}

/** All rows of one opened channel, in a stable order. */
export function channelRows(state: ChannelState): ChannelRows {
  const view = channelStateView(state);
  const channel = view.channel;
  const requests = [...state.requests.values()];
  return {
    channel: view,
    requests: requests.map((r) => requestItem(state, channel, r)),
    reunifications: requests
      .map((r) => reunificationItem(channel, r))
      .filter((x): x is ReunificationItem => x !== null),
    keys: view.participants.map((p) => ({
      fingerprint: p.fingerprint,
      channel,
      participant: p.id,
      active: p.status === 'active',
      signKey: p.signKey,
    })),
  };
}

/** Proposals that wait for the notary: still pending, with every required party's acceptance. */
export function proposalsAwaitingAgreement(state: ChannelState): string[] {
  return [...state.proposals.values()]
    .filter((p) => p.status === 'pending' && expectedAcceptances(state, p) !== null)
    .map((p) => p.id);
}
