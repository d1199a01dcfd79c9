/** The wire types of parley/v1 (DESIGN.md 1.2–1.4). */

export const PROTOCOL = 'parley/v1';

export type Role = 'negotiator' | 'observer' | 'auditor';
export const ROLES: readonly Role[] = ['negotiator', 'observer', 'auditor'];

export type PartyKind = 'side' | 'mediator' | 'observer';
export const PARTY_KINDS: readonly PartyKind[] = ['side', 'mediator', 'observer'];

export interface Party {
  id: string;
  kind: PartyKind;
}

export interface Participant {
  id: string;
  party: string;
  role: Role;
  signKey: string;
  boxKey: string;
  proof: string;
}

export interface KeyEntry {
  to: string;
  nonce: string;
  key: string;
}

export interface Body {
  epk: string;
  nonce: string;
  box: string;
  commit: string;
  keys: KeyEntry[];
}

/** The events that change who is a participant of a channel, and with which keys (DESIGN.md 1.4). */
export const MEMBERSHIP_TYPES = ['ChannelOpened', 'ParticipantAdmitted', 'ParticipantRevoked'] as const satisfies readonly EventType[];

export const EVENT_TYPES = [
  'ChannelOpened',
  'ParticipantAdmitted',
  'ParticipantRevoked',
  'MessagePosted',
  'ReunificationRequested',
  'RequestInformationShared',
  'RequestWithdrawn',
  'ProposalSubmitted',
  'ProposalAccepted',
  'ProposalRejected',
  'ProposalWithdrawn',
  'TransferAgreed',
  'HandoverConfirmed',
  'ReunificationCompleted',
  'TransferCancelled',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export type Quorum = 'sides' | 'all';
export interface Policy {
  quorum: Quorum;
  auditorsRead: boolean;
}

export type RequestCategory = 'minor' | 'adult-displaced-as-minor';
export type InformationKind = 'details' | 'health' | 'location' | 'document';
export type WithdrawReason = 'duplicate' | 'resolved-elsewhere' | 'other';
export type HandoverStep = 'released' | 'received';

/** Public metadata by event type (what the server and auditors validate). */
export interface MetaByType {
  ChannelOpened: { parties: Party[]; participants: Participant[]; notary: { signKey: string }; policy: Policy };
  ParticipantAdmitted: { participant: Participant };
  ParticipantRevoked: { participant: string; replacement?: Participant };
  MessagePosted: { audience: string[] };
  ReunificationRequested: { request: string; category: RequestCategory; holder: string };
  RequestInformationShared: { request: string; kind: InformationKind };
  RequestWithdrawn: { request: string; reason: WithdrawReason };
  ProposalSubmitted: { proposal: string; requests: string[]; supersedes?: string };
  ProposalAccepted: { proposal: string; proposalHash: string };
  ProposalRejected: { proposal: string; proposalHash: string };
  ProposalWithdrawn: { proposal: string };
  TransferAgreed: { proposal: string; proposalHash: string; acceptances: string[] };
  HandoverConfirmed: { proposal: string; request: string; step: HandoverStep };
  ReunificationCompleted: { request: string };
  TransferCancelled: { proposal: string };
}

export interface Envelope<T extends EventType = EventType> {
  v: 1;
  id: string;
  channel: string;
  seq: number;
  prev: string;
  type: T;
  sender: string;
  at: string;
  meta: MetaByType[T];
  body: Body | null;
  sig: string;
}

/** An envelope without its signature: what the sender signs. */
export type UnsignedEnvelope<T extends EventType = EventType> = Omit<Envelope<T>, 'sig'>;

/** Narrowing helper: `isType(env, 'ProposalSubmitted')` types `env.meta`. */
export function isType<T extends EventType>(env: Envelope, type: T): env is Envelope<T> {
  return env.type === type;
}

export const NOTARY = 'notary';
