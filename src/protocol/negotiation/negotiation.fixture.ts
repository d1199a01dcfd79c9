/**
 * Test fixture for the decider specs: a channel with two sides (ua, ru), a mediator (us)
 * and an observer party (icrc) holding an auditor, built and signed with the real crypto.
 * `build` makes a correctly chained, sealed and signed envelope from the current state, so
 * a spec changes exactly one thing to provoke one violation.
 */
import { randomUUID } from 'node:crypto';
import { b64uDecode } from '../encoding';
import { ed25519KeyPair, ed25519Signer } from '../crypto';
import { generateIdentity, Identity, makeParticipant } from '../keys';
import { sealBody, signEnvelope } from '../envelope';
import type { Envelope, EventType, MetaByType, Participant, Policy, Role } from '../types';
import { b64uEncode } from '../encoding';
import { ChannelState, initialState } from './channel-state';
import { check } from './check';
import { evolve } from './evolve';
import { requiredRecipients } from './recipients';
import { Violation } from '../violations';

export interface Member {
  identity: Identity;
  record: Participant;
}

const notarySeed = ed25519KeyPair().secretKey;
export const NOTARY_SIGN_KEY = b64uEncode(ed25519KeyPair(notarySeed).publicKey);

export class NegotiationFixture {
  readonly channel = randomUUID();
  state: ChannelState = initialState();
  readonly members = new Map<string, Member>();
  private clock = Date.parse('2026-10-10T09:00:00.000Z');

  static PARTIES = [
    { id: 'icrc', kind: 'observer' as const },
    { id: 'ru', kind: 'side' as const },
    { id: 'ua', kind: 'side' as const },
    { id: 'us', kind: 'mediator' as const },
  ];

  /** A fixture whose ChannelOpened (by ua.lead) has been applied. */
  static opened(policy: Policy = { quorum: 'sides', auditorsRead: false }): NegotiationFixture {
    const f = new NegotiationFixture();
    f.apply(f.opening(policy));
    return f;
  }

  /** A participant record (not yet in the channel) with fresh keys. */
  participant(id: string, party: string, role: Role): Participant {
    const identity = generateIdentity();
    const record = makeParticipant(this.channel, identity, { id, party, role });
    this.members.set(id, { identity, record });
    return record;
  }

  opening(policy: Policy, sender = 'ua.lead'): Envelope<'ChannelOpened'> {
    const participants = [
      this.participant('ua.lead', 'ua', 'negotiator'),
      this.participant('ua.obs', 'ua', 'observer'),
      this.participant('ru.lead', 'ru', 'negotiator'),
      this.participant('us.envoy', 'us', 'negotiator'),
      this.participant('icrc.audit', 'icrc', 'auditor'),
    ];
    const meta = { parties: NegotiationFixture.PARTIES, participants, notary: { signKey: NOTARY_SIGN_KEY }, policy };
    return this.build(sender, 'ChannelOpened', meta, { title: 'Return of children', mandate: 'test' });
  }

  /**
   * A signed envelope from `sender` for the current state: next seq, chained prev, body
   * sealed to exactly the required recipients (or null when `content` is null).
   */
  build<T extends EventType>(
    sender: string,
    type: T,
    meta: MetaByType[T],
    content: Record<string, unknown> | null = {},
    tweak: (e: Omit<Envelope<T>, 'sig'>) => void = () => {},
  ): Envelope<T> {
    const body = content === null ? null : sealBody(content, requiredRecipients(this.state, { type, meta }));
    this.clock += 60_000;
    const unsigned = {
      v: 1 as const,
      id: randomUUID(),
      channel: this.channel,
      seq: this.state.nextSeq,
      prev: this.state.head,
      type,
      sender,
      at: new Date(this.clock).toISOString(),
      meta,
      body,
    };
    tweak(unsigned);
    const seed = sender === 'notary' ? notarySeed : b64uDecode(this.members.get(sender)!.identity.signSeed, 32)!;
    return signEnvelope(unsigned, ed25519Signer(seed)) as Envelope<T>;
  }

  check(env: unknown): Violation[] {
    return check(this.state, env, { channel: this.channel });
  }

  /** Checks and evolves; throws with the violation when the event is refused. */
  apply<E extends Envelope>(env: E): E {
    const found = this.check(env);
    if (found.length) throw new Error(`${env.type} refused: ${found[0].code}: ${found[0].message}`);
    evolve(this.state, env);
    return env;
  }

  // Shorthands for the happy path, each applied.
  request(sender = 'ua.lead', holder = 'ru'): string {
    const request = randomUUID();
    this.apply(this.build(sender, 'ReunificationRequested', { request, category: 'minor', holder }, { person: 'A.' }));
    return request;
  }

  propose(requests: string[], sender = 'us.envoy', supersedes?: string): string {
    const proposal = randomUUID();
    const meta: MetaByType['ProposalSubmitted'] = { proposal, requests: [...requests].sort() };
    if (supersedes) meta.supersedes = supersedes;
    this.apply(this.build(sender, 'ProposalSubmitted', meta, { terms: 't', handover: 'h' }));
    return proposal;
  }

  proposalHash(proposal: string): string {
    return this.state.proposals.get(proposal)!.submitted.hash;
  }

  accept(proposal: string, sender: string): void {
    this.apply(this.build(sender, 'ProposalAccepted', { proposal, proposalHash: this.proposalHash(proposal) }, null));
  }

  /** The notary's TransferAgreed, with the acceptances the quorum requires. */
  agreement(proposal: string, acceptances?: string[]): Envelope<'TransferAgreed'> {
    const p = this.state.proposals.get(proposal)!;
    const hashes = acceptances ?? Object.values(p.acceptances).map((a) => a.hash).sort();
    return this.build('notary', 'TransferAgreed', { proposal, proposalHash: p.submitted.hash, acceptances: hashes }, null);
  }

  /** Request(s) proposed, accepted by both sides and agreed. */
  agreedTransfer(requests?: string[]): { proposal: string; requests: string[] } {
    const reqs = requests ?? [this.request()];
    const proposal = this.propose(reqs);
    this.accept(proposal, 'ua.lead');
    this.accept(proposal, 'ru.lead');
    this.apply(this.agreement(proposal));
    return { proposal, requests: reqs };
  }

  handover(proposal: string, request: string, step: 'released' | 'received'): void {
    const sender = step === 'released' ? 'ru.lead' : 'ua.lead';
    this.apply(this.build(sender, 'HandoverConfirmed', { proposal, request, step }, null));
  }
}
