/**
 * Builds real negotiation events for tests: participants with fresh keys, envelopes sealed to
 * exactly the recipients `requiredRecipients` names, chained and signed — with src/protocol
 * only. Each step is checked with `check` and folded with `evolve` locally, so a built
 * envelope is what a correct client would send next.
 *
 *   const n = NegotiationBuilder.open({ notarySeed });
 *   const req = n.request('ua.lead', 'ru');                  // ReunificationRequested
 *   const prop = n.propose('us.envoy', [req.meta.request]);  // ProposalSubmitted
 *   n.accept('ua.lead', prop.meta.proposal); n.accept('ru.lead', prop.meta.proposal);
 *   n.agree(prop.meta.proposal);                             // TransferAgreed by the notary
 *   n.log                                                    // every envelope, in order
 *
 * `build` makes an envelope without applying it (to provoke a violation or a conflict).
 */
import { randomUUID } from 'node:crypto';
import {
  b64uDecode,
  b64uEncode,
  ChannelState,
  check,
  ed25519KeyPair,
  ed25519Signer,
  Envelope,
  EventType,
  evolve,
  fingerprint,
  generateIdentity,
  Identity,
  initialState,
  makeParticipant,
  MetaByType,
  NOTARY,
  Participant,
  Party,
  Policy,
  requiredRecipients,
  Role,
  sealBody,
  signEnvelope,
  UnsignedEnvelope,
} from '../../src/protocol';

export interface MemberSpec {
  id: string;
  party: string;
  role: Role;
  /** Keys to use (e.g. a vector identity); fresh ones otherwise. */
  identity?: Identity;
}

export interface OpenOptions {
  /** b64u Ed25519 seed of the server's notary (the test server's PARLEY_NOTARY_SEED). */
  notarySeed: string;
  channel?: string;
  policy?: Policy;
  parties?: Party[];
  members?: MemberSpec[];
  /** Who sends ChannelOpened (a negotiator among `members`). */
  opener?: string;
}

export interface Member {
  identity: Identity;
  record: Participant;
}

export const DEFAULT_PARTIES: Party[] = [
  { id: 'icrc', kind: 'observer' },
  { id: 'ru', kind: 'side' },
  { id: 'ua', kind: 'side' },
  { id: 'us', kind: 'mediator' },
];

export const DEFAULT_MEMBERS: MemberSpec[] = [
  { id: 'ua.lead', party: 'ua', role: 'negotiator' },
  { id: 'ru.lead', party: 'ru', role: 'negotiator' },
  { id: 'us.envoy', party: 'us', role: 'negotiator' },
  { id: 'icrc.audit', party: 'icrc', role: 'auditor' },
];

/** A fresh notary seed for a test server (PARLEY_NOTARY_SEED). */
export function newNotarySeed(): string {
  return b64uEncode(ed25519KeyPair().secretKey);
}

export class NegotiationBuilder {
  state: ChannelState = initialState();
  readonly members = new Map<string, Member>();
  readonly log: Envelope[] = [];
  private readonly notarySigner;

  private constructor(
    readonly channel: string,
    notarySeed: string,
  ) {
    this.notarySigner = ed25519Signer(b64uDecode(notarySeed, 32)!);
    this.notarySignKey = b64uEncode(ed25519KeyPair(b64uDecode(notarySeed, 32)!).publicKey);
  }

  readonly notarySignKey: string;

  /** A channel whose ChannelOpened has been built and applied (it is `log[0]`). */
  static open(options: OpenOptions): NegotiationBuilder {
    const n = new NegotiationBuilder(options.channel ?? randomUUID(), options.notarySeed);
    const participants = (options.members ?? DEFAULT_MEMBERS).map((m) => n.participant(m));
    const meta: MetaByType['ChannelOpened'] = {
      parties: options.parties ?? DEFAULT_PARTIES,
      participants,
      notary: { signKey: n.notarySignKey },
      policy: options.policy ?? { quorum: 'sides', auditorsRead: false },
    };
    n.next(options.opener ?? participants.find((p) => p.role === 'negotiator')!.id, 'ChannelOpened', meta, {
      title: 'Return of children',
      mandate: 'test',
    });
    return n;
  }

  /** A participant record for this channel (not yet admitted) with its keys remembered. */
  participant(spec: MemberSpec): Participant {
    const identity = spec.identity ?? generateIdentity();
    const record = makeParticipant(this.channel, identity, { id: spec.id, party: spec.party, role: spec.role });
    this.members.set(spec.id, { identity, record });
    return record;
  }

  /** What an HTTP client signs requests with, for member `id` (ParleyHttpClient `keys`). */
  keys(id: string): { signSeed: string; signKey: string; boxKey: string } {
    const { signSeed, signKey, boxKey } = this.members.get(id)!.identity;
    return { signSeed, signKey, boxKey };
  }

  keyid(id: string): string {
    return fingerprint(this.members.get(id)!.identity);
  }

  /** The next envelope from `sender`, sealed to the required recipients (`content` null → no body). Not applied. */
  build<T extends EventType>(
    sender: string,
    type: T,
    meta: MetaByType[T],
    content: Record<string, unknown> | null = {},
    tweak: (e: UnsignedEnvelope<T>) => void = () => {},
  ): Envelope<T> {
    const body = content === null ? null : sealBody(content, requiredRecipients(this.state, { type, meta }));
    const unsigned: UnsignedEnvelope<T> = {
      v: 1,
      id: randomUUID(),
      channel: this.channel,
      seq: this.state.nextSeq,
      prev: this.state.head,
      type,
      sender,
      at: new Date().toISOString(),
      meta,
      body,
    };
    tweak(unsigned);
    const signer = sender === NOTARY ? this.notarySigner : ed25519Signer(b64uDecode(this.members.get(sender)!.identity.signSeed, 32)!);
    return signEnvelope(unsigned, signer) as Envelope<T>;
  }

  /** Checks `env` against the local state (throws with the violation) and folds it in. */
  apply<E extends Envelope>(env: E): E {
    const [found] = check(this.state, env, { channel: this.channel });
    if (found) throw new Error(`${env.type} refused locally: ${found.code}: ${found.message}`);
    evolve(this.state, env);
    this.log.push(env);
    return env;
  }

  next<T extends EventType>(sender: string, type: T, meta: MetaByType[T], content: Record<string, unknown> | null = {}): Envelope<T> {
    return this.apply(this.build(sender, type, meta, content));
  }

  // The negotiation's steps, each built and applied.

  message(sender: string, audience: string[], text = 'hello'): Envelope<'MessagePosted'> {
    return this.next(sender, 'MessagePosted', { audience: [...audience].sort() }, { text });
  }

  request(sender: string, holder: string, category: 'minor' | 'adult-displaced-as-minor' = 'minor'): Envelope<'ReunificationRequested'> {
    return this.next(sender, 'ReunificationRequested', { request: randomUUID(), category, holder }, { person: 'A.', family: 'B.', notes: '' });
  }

  share(sender: string, request: string, kind: 'details' | 'health' | 'location' | 'document'): Envelope<'RequestInformationShared'> {
    return this.next(sender, 'RequestInformationShared', { request, kind }, { text: kind });
  }

  withdrawRequest(sender: string, request: string, reason: 'duplicate' | 'resolved-elsewhere' | 'other' = 'other'): Envelope<'RequestWithdrawn'> {
    return this.next(sender, 'RequestWithdrawn', { request, reason }, null);
  }

  propose(sender: string, requests: string[], supersedes?: string): Envelope<'ProposalSubmitted'> {
    const meta: MetaByType['ProposalSubmitted'] = { proposal: randomUUID(), requests: [...requests].sort() };
    if (supersedes) meta.supersedes = supersedes;
    return this.next(sender, 'ProposalSubmitted', meta, { terms: 'terms', handover: 'handover' });
  }

  proposalHash(proposal: string): string {
    return this.state.proposals.get(proposal)!.submitted.hash;
  }

  accept(sender: string, proposal: string): Envelope<'ProposalAccepted'> {
    return this.next(sender, 'ProposalAccepted', { proposal, proposalHash: this.proposalHash(proposal) }, null);
  }

  reject(sender: string, proposal: string): Envelope<'ProposalRejected'> {
    return this.next(sender, 'ProposalRejected', { proposal, proposalHash: this.proposalHash(proposal) }, null);
  }

  withdrawProposal(sender: string, proposal: string): Envelope<'ProposalWithdrawn'> {
    return this.next(sender, 'ProposalWithdrawn', { proposal }, null);
  }

  /** The notary's TransferAgreed with the acceptances the quorum needs. */
  agree(proposal: string): Envelope<'TransferAgreed'> {
    const p = this.state.proposals.get(proposal)!;
    const acceptances = Object.values(p.acceptances).map((a) => a.hash).sort();
    return this.next(NOTARY, 'TransferAgreed', { proposal, proposalHash: p.submitted.hash, acceptances }, null);
  }

  handover(sender: string, proposal: string, request: string, step: 'released' | 'received'): Envelope<'HandoverConfirmed'> {
    return this.next(sender, 'HandoverConfirmed', { proposal, request, step }, null);
  }

  complete(sender: string, request: string): Envelope<'ReunificationCompleted'> {
    return this.next(sender, 'ReunificationCompleted', { request }, null);
  }

  cancel(sender: string, proposal: string, reason = 'changed'): Envelope<'TransferCancelled'> {
    return this.next(sender, 'TransferCancelled', { proposal }, { reason });
  }

  admit(sender: string, member: MemberSpec): Envelope<'ParticipantAdmitted'> {
    return this.next(sender, 'ParticipantAdmitted', { participant: this.participant(member) }, null);
  }

  /** Revokes `target`; with `replacement`, a key rotation to a new participant of the same party and role. */
  revoke(sender: string, target: string, replacement?: string): Envelope<'ParticipantRevoked'> {
    const meta: MetaByType['ParticipantRevoked'] = { participant: target };
    if (replacement) {
      const old = this.members.get(target)!.record;
      meta.replacement = this.participant({ id: replacement, party: old.party, role: old.role });
    }
    return this.next(sender, 'ParticipantRevoked', meta, null);
  }
}
