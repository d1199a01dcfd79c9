/**
 * Typed drafts of every event type of DESIGN.md 1.4 (public meta + encrypted content),
 * and `buildEnvelope`, which seals a draft to exactly the recipients the rule engine
 * requires and signs it at the channel's head. Pure: no I/O.
 */
import { randomUUID } from 'node:crypto';
import {
  b64uDecode,
  canonical,
  ChannelState,
  ed25519Signer,
  Envelope,
  EventType,
  MetaByType,
  parseEnvelopeText,
  requiredRecipients,
  sealBody,
  signEnvelope,
} from '../protocol';

/** Content is a JSON object; 1.4 names the usual fields and others are allowed. */
type Open = Record<string, unknown>;
export interface ChannelOpenedContent extends Open { title: string; mandate: string }
export interface MessageContent extends Open { text: string }
export interface PersonContent extends Open { fullName?: string; dateOfBirth?: string }
export interface FamilyContent extends Open { contactName?: string; relation?: string }
export interface RequestContent extends Open { person: PersonContent; family: FamilyContent; notes: string }
export interface InformationContent extends Open { text?: string }
export interface ProposalContent extends Open { terms: string; handover: Open }
export interface CancellationContent extends Open { reason: string }
export interface NoteContent extends Open { note?: string; reason?: string }

export interface ContentByType {
  ChannelOpened: ChannelOpenedContent;
  ParticipantAdmitted: NoteContent;
  ParticipantRevoked: NoteContent;
  MessagePosted: MessageContent;
  ReunificationRequested: RequestContent;
  RequestInformationShared: InformationContent;
  RequestWithdrawn: NoteContent;
  ProposalSubmitted: ProposalContent;
  ProposalAccepted: NoteContent;
  ProposalRejected: NoteContent;
  ProposalWithdrawn: NoteContent;
  TransferAgreed: never;
  HandoverConfirmed: NoteContent;
  ReunificationCompleted: NoteContent;
  TransferCancelled: CancellationContent;
}

/** What the author means to say; `content: null` sends no body (where 1.4 allows it). */
export interface Draft<T extends EventType = EventType> {
  type: T;
  meta: MetaByType[T];
  content: ContentByType[T] | null;
}

export function draft<T extends EventType>(type: T, meta: MetaByType[T], content: ContentByType[T] | null = null): Draft<T> {
  return { type, meta, content };
}

export interface Author {
  id: string;
  signSeed: string;
}

/**
 * The signed envelope of `d` at the head of `state`: next seq, prev = head, body sealed
 * for `requiredRecipients(state, d)`. `channel` is needed for a ChannelOpened (the state
 * knows no channel yet); `id` stays the same across retries so a stored attempt is found.
 */
export function buildEnvelope<T extends EventType>(
  state: ChannelState,
  author: Author,
  d: Draft<T>,
  options: { channel?: string; id?: string; at?: Date } = {},
): Envelope<T> {
  const channel = options.channel ?? state.channel;
  if (!channel) throw new Error('the channel is not known: pass options.channel for a ChannelOpened');
  const seed = b64uDecode(author.signSeed, 32);
  if (!seed) throw new Error('author.signSeed must be a 32-byte b64u seed');
  const body = d.content === null ? null : sealBody(d.content, requiredRecipients(state, d));
  const unsigned = {
    v: 1 as const,
    id: options.id ?? randomUUID(),
    channel,
    seq: state.nextSeq,
    prev: state.head,
    type: d.type,
    sender: author.id,
    at: (options.at ?? new Date()).toISOString(),
    meta: d.meta,
    body,
  };
  // What is checked, sent and kept is the parse of the signed text, as every reader has it:
  // no object of the caller's (changed after, or with inherited members and getters, which
  // the signed canonical text leaves out), so the view is of exactly the bytes sent.
  return parseEnvelopeText(canonical(signEnvelope(unsigned, ed25519Signer(seed)))) as Envelope<T>;
}
