/**
 * Who must be able to read an event (DESIGN.md 1.4): the server checks `body.keys` against
 * it and the SDK seals to it, so both use this one function.
 */
import { byId } from '../encoding';
import type { Recipient } from '../envelope';
import type { EventType, MetaByType, Participant, Policy, Role } from '../types';
import type { ChannelState } from './channel-state';

export type BodyRule = 'required' | 'optional' | 'forbidden';

export const BODY_RULES: Record<EventType, BodyRule> = {
  ChannelOpened: 'required',
  ParticipantAdmitted: 'optional',
  ParticipantRevoked: 'optional',
  MessagePosted: 'required',
  ReunificationRequested: 'required',
  RequestInformationShared: 'required',
  RequestWithdrawn: 'optional',
  ProposalSubmitted: 'required',
  ProposalAccepted: 'optional',
  ProposalRejected: 'optional',
  ProposalWithdrawn: 'optional',
  TransferAgreed: 'forbidden',
  HandoverConfirmed: 'optional',
  ReunificationCompleted: 'optional',
  TransferCancelled: 'required',
};

interface Member {
  id: string;
  party: string;
  role: Role;
  boxKey: string;
}

/** What an event is about, enough to know its readers: its type and meta. */
export interface EventHead<T extends EventType = EventType> {
  type: T;
  meta: MetaByType[T];
}

const member = (p: Participant): Member => ({ id: p.id, party: p.party, role: p.role, boxKey: p.boxKey });

/**
 * Active participants counted after the event's own membership change, by id (a set: an
 * admission that reuses an id is refused later, at step 8, not here). A ChannelOpened's
 * change is to make its listed participants the members, wherever it stands: one sent again
 * into an open channel, sealed as an opening is, reaches step 8's invalid_transition.
 */
function membersAfter(state: ChannelState, ev: EventHead): Member[] {
  if (ev.type === 'ChannelOpened') {
    return (ev.meta as MetaByType['ChannelOpened']).participants.map(member);
  }
  const members = new Map<string, Member>();
  for (const p of state.participants.values()) if (p.active) members.set(p.id, member(p.record));
  if (ev.type === 'ParticipantAdmitted') {
    const admitted = (ev.meta as MetaByType['ParticipantAdmitted']).participant;
    members.set(admitted.id, member(admitted));
  } else if (ev.type === 'ParticipantRevoked') {
    const m = ev.meta as MetaByType['ParticipantRevoked'];
    members.delete(m.participant);
    if (m.replacement) members.set(m.replacement.id, member(m.replacement));
  }
  return [...members.values()];
}

/**
 * The exact recipient set of an event's body, sorted by id; empty when the body is
 * forbidden. For MessagePosted: the audience parties' active non-auditors; otherwise every
 * active non-auditor; plus every active auditor when `policy.auditorsRead`.
 */
export function requiredRecipients(state: ChannelState, ev: EventHead): Recipient[] {
  if (BODY_RULES[ev.type] === 'forbidden') return [];
  const policy: Policy | null = ev.type === 'ChannelOpened' ? (ev.meta as MetaByType['ChannelOpened']).policy : state.policy;
  const auditorsRead = policy?.auditorsRead === true;
  const audience = ev.type === 'MessagePosted' ? new Set((ev.meta as MetaByType['MessagePosted']).audience) : null;
  return membersAfter(state, ev)
    .filter((m) => (m.role === 'auditor' ? auditorsRead : audience === null || audience.has(m.party)))
    .map((m) => ({ id: m.id, boxKey: m.boxKey }))
    .sort(byId);
}

/**
 * Auditors who will read a message although their party is not in its audience and is a side
 * or a mediator. DESIGN.md 1.4 lets any party have auditors and lets every active auditor
 * read every message under `auditorsRead`: a back channel to the mediator is then read by
 * the other side's auditor too. Not a rule (such a message is valid); clients ask before
 * sending one.
 */
export function auditorsBeyondAudience(state: ChannelState, audience: readonly string[]): { id: string; party: string }[] {
  if (state.policy?.auditorsRead !== true) return [];
  const heard = new Set(audience);
  return [...state.participants.values()]
    .filter((p) => p.active && p.record.role === 'auditor' && !heard.has(p.record.party) && state.parties.get(p.record.party) !== 'observer')
    .map((p) => ({ id: p.record.id, party: p.record.party }))
    .sort(byId);
}
