/** The decrypted agreement state as tables for people (`parley status`, the demo). */
import { safetyNumber } from '../../protocol';
import { type ChannelSummary, documentLabel } from '../../client';
import { fitToWidth } from './display-width';
import { printable, short, table } from './output';

const CLOSED = '(closed to you)';

function personLine(p: Record<string, unknown> | null): string {
  if (!p) return CLOSED;
  const name = typeof p.fullName === 'string' ? p.fullName : '?';
  return typeof p.dateOfBirth === 'string' ? `${name}, born ${p.dateOfBirth}` : name;
}

function infoLine(info: ChannelSummary['requests'][number]['information']): string {
  return info.map((i) => `${i.kind}: ${i.content ? infoText(i.content, i.seq) : CLOSED}`).join('; ');
}

/**
 * A document by its seq (what `parley save` takes) and name, never its bytes: the seq first,
 * as the cell may be cut. Every document is also a row of the Documents table.
 */
function infoText(content: Record<string, unknown>, seq: number): string {
  const doc = documentLabel(content);
  const text = typeof content.text === 'string' ? content.text : null;
  if (doc) return `#${seq} ${doc}${text ? ` ${text}` : ''}`;
  return text ?? JSON.stringify(content);
}

/** Every shared document the reader can open, one a row: the seq `parley save` takes, whatever else the request holds. */
function documentRows(s: ChannelSummary): (string | number)[][] {
  return s.requests.flatMap((r) =>
    r.information.flatMap((i) => {
      const doc = documentLabel(i.content);
      return doc ? [[i.seq, short(r.id), i.kind, doc]] : [];
    }),
  );
}

export function statusTables(s: ChannelSummary, options: { messages?: boolean } = {}): string {
  const documents = documentRows(s);
  const parts = [
    `Channel ${s.channel}`,
    // The title is the opener's text: on a line of its own after a label, one line and at most 60
    // columns, so that no wrap on an 80-column terminal starts a screen line with it, and it cannot
    // pass for a line of ours (a note, the verified count).
    ...(s.title ? [`Title: ${fitToWidth(printable(s.title.replace(/\s+/g, ' ')), 60).text}`] : []),
    `As seen by ${s.reader}: ${s.head.seq + 1} events verified, head ${s.head.hash.slice(0, 16)}…, quorum ${s.policy?.quorum ?? '-'}` +
      (s.closed ? `, ${s.closed} bodies closed to you` : ''),
    '',
    table('Participants', ['id', 'party', 'role', 'status', 'listed by', 'safety number (first groups)'], s.participants.map((p) => [
      p.id,
      p.party,
      p.role,
      p.replacedBy ? `revoked → ${p.replacedBy}` : p.status,
      p.listedBy ?? '-',
      safetyNumber(p.fingerprint).slice(0, 19),
    ])),
    table('Requests', ['request', 'category', 'from → holder', 'status', 'person', 'information'], s.requests.map((r) => [
      short(r.id),
      r.category,
      `${r.party} → ${r.holder}`,
      r.status,
      personLine(r.person),
      infoLine(r.information),
    ])),
    ...(documents.length ? [table('Documents (parley save <seq>)', ['seq', 'request', 'kind', 'document'], documents, 72)] : []),
    table('Proposals', ['proposal', 'by', 'status', 'requests', 'accepted by', 'terms'], s.proposals.map((p) => [
      short(p.id),
      p.party,
      p.supersedes ? `${p.status} (supersedes ${short(p.supersedes)})` : p.status,
      p.requests.map(short).join(','),
      p.acceptedBy.join(',') || '-',
      p.terms ?? CLOSED,
    ])),
    table('Transfers (agreed by the notary)', ['proposal', 'status', 'agreed at', 'requests'], s.transfers.map((t) => [
      short(t.proposal),
      t.status,
      `seq ${t.agreedAt}`,
      t.requests.map((r) => `${short(r.id)} ${r.status}`).join(', '),
    ]), 72),
  ];
  if (options.messages !== false) {
    parts.push(table('Messages', ['seq', 'from', 'to', 'text'], s.messages.map((m) => [m.seq, m.sender, m.audience.join(','), m.text ?? CLOSED]), 72));
  }
  return parts.join('\n');
}
