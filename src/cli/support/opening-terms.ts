import type { ChannelState } from '../../protocol';

/**
 * What the opener of a channel chose, said to each other participant the first time its
 * keystore reads the channel. A participant's record signs only the channel id
 * (DESIGN.md 1.2), so any participant whose record was collected can open the channel first,
 * on terms of their own: another quorum, a party made an observer, auditors of their own who
 * may read every body (`auditorsRead`). Nothing in the protocol catches that; the people can.
 */
export function openingTermsNote(state: ChannelState, reader: string): string | null {
  const opened = state.opened;
  if (!opened || !state.policy || opened.sender === reader) return null;
  const parties = [...state.parties].map(([id, kind]) => `${id} (${kind})`).join(', ');
  const auditors = [...state.participants.values()].filter((p) => p.role === 'auditor' && p.admittedAt === opened.seq).map((p) => `${p.id} of ${p.party}`);
  const reading = state.policy.auditorsRead
    ? `auditors read every body (auditorsRead): ${auditors.length ? auditors.join(', ') : 'none listed yet'}`
    : 'auditors read no body';
  return (
    `parley: note: first reading of channel ${state.channel}, opened by ${opened.sender}: parties ${parties}; quorum ${state.policy.quorum}; ${reading}. ` +
    'Your participant record named the channel only, not these terms: if they are not what the parties agreed, act in it no further and tell the others.'
  );
}
