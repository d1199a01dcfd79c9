/**
 * The agreement state of a channel as one participant sees it: the public state from the
 * rule engine joined with the content this participant could open (names, terms,
 * messages). A plain JSON-able object, for tables, `--json` and the demo.
 */
import { displayStatus, fingerprint, transferRequests } from '../protocol';
import type { ChannelView } from './channel-view';

export interface ChannelSummary {
  channel: string;
  reader: string;
  title: string | null;
  policy: { quorum: string; auditorsRead: boolean } | null;
  head: { seq: number; hash: string };
  parties: { id: string; kind: string }[];
  participants: {
    id: string;
    party: string;
    role: string;
    status: 'active' | 'revoked';
    replacedBy: string | null;
    fingerprint: string;
    admittedAt: number;
    /** Who put the participant in the channel: the opener, or the sender of its admission or rotation. */
    listedBy: string | null;
  }[];
  requests: {
    id: string;
    category: string;
    party: string;
    holder: string;
    status: string;
    /** Decrypted, or null when this reader cannot open the request. */
    person: Record<string, unknown> | null;
    family: Record<string, unknown> | null;
    information: { seq: number; kind: string; content: Record<string, unknown> | null }[];
    proposals: string[];
    transfer: string | null;
  }[];
  proposals: {
    id: string;
    party: string;
    status: string;
    requests: string[];
    supersedes: string | null;
    acceptedBy: string[];
    rejectedBy: string[];
    terms: string | null;
    handover: unknown;
  }[];
  /** Agreed proposals (transfers): the notary's event and where each person is. */
  transfers: { proposal: string; status: string; agreedAt: number; acceptances: string[]; requests: { id: string; status: string }[] }[];
  messages: { seq: number; sender: string; audience: string[]; text: string | null }[];
  closed: number;
}

export function summarizeChannel(view: ChannelView): ChannelSummary {
  const s = view.state;
  const opened = view.contentAt(0);
  const information = new Map<string, ChannelSummary['requests'][number]['information']>();
  const messages: ChannelSummary['messages'] = [];
  let closed = 0;
  for (const e of view.entries) {
    if (e.readability !== 'opened' && e.readability !== 'no_body') closed++;
    const env = e.envelope;
    if (env.type === 'RequestInformationShared') {
      const meta = env.meta as { request: string; kind: string };
      const list = information.get(meta.request) ?? [];
      list.push({ seq: e.seq, kind: meta.kind, content: e.content });
      information.set(meta.request, list);
    } else if (env.type === 'MessagePosted') {
      const text = e.content?.text;
      messages.push({ seq: e.seq, sender: env.sender, audience: (env.meta as { audience: string[] }).audience, text: typeof text === 'string' ? text : null });
    }
  }
  return {
    channel: view.channel,
    reader: view.reader.id,
    title: typeof opened?.title === 'string' ? opened.title : null,
    policy: s.policy,
    head: { seq: s.nextSeq - 1, hash: s.head },
    parties: [...s.parties].map(([id, kind]) => ({ id, kind })),
    participants: [...s.participants.values()].map((p) => ({
      id: p.id,
      party: p.party,
      role: p.role,
      status: p.active ? 'active' : 'revoked',
      replacedBy: p.replacedBy,
      fingerprint: fingerprint(p.record),
      admittedAt: p.admittedAt,
      listedBy: view.entries[p.admittedAt]?.envelope.sender ?? null,
    })),
    requests: [...s.requests.values()].map((r) => {
      const c = view.contentAt(r.requested.seq);
      return {
        id: r.id,
        category: r.category,
        party: r.party,
        holder: r.holder,
        status: displayStatus(r),
        person: (c?.person as Record<string, unknown>) ?? null,
        family: (c?.family as Record<string, unknown>) ?? null,
        information: information.get(r.id) ?? [],
        proposals: r.proposals,
        transfer: r.transfer,
      };
    }),
    proposals: [...s.proposals.values()].map((p) => {
      const c = view.contentAt(p.submitted.seq);
      return {
        id: p.id,
        party: p.party,
        status: p.status,
        requests: p.requests,
        supersedes: p.supersedes,
        acceptedBy: Object.keys(p.acceptances).sort(),
        rejectedBy: Object.keys(p.rejections).sort(),
        terms: typeof c?.terms === 'string' ? c.terms : null,
        handover: c?.handover ?? null,
      };
    }),
    transfers: [...s.proposals.values()]
      .filter((p) => p.agreed !== null)
      .map((p) => ({
        proposal: p.id,
        status: p.status,
        agreedAt: p.agreed!.seq,
        acceptances: p.agreed!.acceptances,
        requests: transferRequests(s, p).requests.map(({ request, status }) => ({ id: request, status })),
      })),
    messages,
    closed,
  };
}
