/** Shared by the projection and notary tests: negotiation logs fed into real stores. */
import { NegotiationFixture } from '../../src/protocol/negotiation/negotiation.fixture';
import type { Envelope, Policy } from '../../src/protocol';
import { channelStream, type EventStore } from '../../src/store/event-store.port';
import { reference } from '../support/vectors';

/** The lines of a vector log, as stored (text exactly). */
export const vectorLog = (file: string): string[] => reference.readLog(file).split('\n').filter((line) => line.length > 0);

/** Appends envelope texts to their channels' streams, in order, each at its seq. */
export async function appendAll(store: EventStore, lines: string[]): Promise<void> {
  for (const data of lines) {
    const env = JSON.parse(data) as Envelope;
    await store.append(channelStream(env.channel), [{ id: env.id, type: env.type, data }], env.seq === 0 ? 'no_stream' : env.seq - 1);
  }
}

/** The protocol's fixture, recording every event it applies; optionally naming a given notary key. */
export class RecordedNegotiation extends NegotiationFixture {
  readonly log: Envelope[] = [];

  constructor(private readonly notarySignKey?: string) {
    super();
  }

  static start(notarySignKey?: string, policy: Policy = { quorum: 'sides', auditorsRead: false }): RecordedNegotiation {
    const f = new RecordedNegotiation(notarySignKey);
    f.apply(f.opening(policy));
    return f;
  }

  override opening(policy: Policy, sender = 'ua.lead'): Envelope<'ChannelOpened'> {
    const env = super.opening(policy, sender);
    if (!this.notarySignKey) return env;
    // Same participants, re-signed with this server's notary key named.
    const meta = { ...env.meta, notary: { signKey: this.notarySignKey } };
    return this.build(sender, 'ChannelOpened', meta, { title: 'Return of children', mandate: 'test' });
  }

  override apply<E extends Envelope>(env: E): E {
    super.apply(env);
    this.log.push(env);
    return env;
  }

  lines(from = 0): string[] {
    return this.log.slice(from).map((e) => JSON.stringify(e));
  }
}

/**
 * A negotiation touching every read model: information shared, two proposals sharing a
 * request (one agreed, one lapsing), a rejection, a handover to reunification, a withdrawal,
 * a key rotation, a cancelled transfer.
 */
export function busyNegotiation(): RecordedNegotiation {
  const f = RecordedNegotiation.start();
  const [r1, r2, r3, r4, r5] = [f.request(), f.request(), f.request('ru.lead', 'ua'), f.request(), f.request()];
  f.apply(f.build('ru.lead', 'RequestInformationShared', { request: r1, kind: 'health' }, { text: 'asthma' }));
  f.apply(f.build('ua.lead', 'RequestInformationShared', { request: r3, kind: 'location' }, { text: 'x' }));
  const rejected = f.propose([r4]);
  f.apply(f.build('ru.lead', 'ProposalRejected', { proposal: rejected, proposalHash: f.proposalHash(rejected) }, null));
  const p1 = f.propose([r1, r2]);
  f.propose([r2, r3]); // lapses when p1 is agreed
  f.accept(p1, 'ua.lead');
  f.accept(p1, 'ru.lead');
  f.apply(f.agreement(p1));
  f.handover(p1, r1, 'released');
  f.handover(p1, r1, 'received');
  f.apply(f.build('ua.lead', 'ReunificationCompleted', { request: r1 }, null));
  f.apply(f.build('ua.lead', 'RequestWithdrawn', { request: r4, reason: 'duplicate' }, null));
  const replacement = f.participant('ru.lead2', 'ru', 'negotiator');
  f.apply(f.build('ru.lead', 'ParticipantRevoked', { participant: 'ru.lead', replacement }, null));
  const t = f.propose([r5]);
  f.accept(t, 'ua.lead');
  f.accept(t, 'ru.lead2');
  f.apply(f.agreement(t));
  f.apply(f.build('ua.lead', 'TransferCancelled', { proposal: t }, { reason: 'weather' }));
  f.apply(f.build('us.envoy', 'MessagePosted', { audience: ['ru', 'ua', 'us'] }, { text: 'next week' }));
  return f;
}

/** Interleaves several channels' logs the way concurrent clients would (round robin). */
export function interleave(...logs: string[][]): string[] {
  const out: string[] = [];
  for (let i = 0; out.length < logs.reduce((n, l) => n + l.length, 0); i++) {
    for (const log of logs) if (i < log.length) out.push(log[i]);
  }
  return out;
}

