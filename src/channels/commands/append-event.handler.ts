import { Inject } from '@nestjs/common';
import { CommandHandler, EventBus, ICommandHandler } from '@nestjs/cqrs';
import { PARLEY_CONFIG, type ParleyConfig } from '../../config/parley-config';
import { NOTARY_KEY, type NotaryKey } from '../../notary/notary-key';
import { ParleyMetrics } from '../../ops/parley-metrics';
import {
  activeParticipants,
  CHAIN_CONFLICT_CODES,
  ChannelState,
  Envelope,
  eventHash,
  firstViolation,
  LIMITS,
  MetaByType,
  parseEnvelopeText,
  shapeProblem,
  storedText,
  violation,
  Violation,
} from '../../protocol';
import { channelStream, EVENT_STORE, type EventStore, IdempotencyError, WrongExpectedRevisionError } from '../../store/event-store.port';
import { ChannelQueue } from '../channel-queue';
import { ChannelStateCache } from '../channel-state.cache';
import { EventAppended } from '../events/event-appended.event';
import { AppendEventCommand, AppendResult } from './append-event.command';
import { AppendRejected } from './append-rejected.error';

/**
 * Appends one envelope: shape → the server's own policy → `check` against the channel's
 * state → store append with expected revision seq−1 → fold into the cached state → EventAppended.
 * Runs in the channel's queue, so this process never checks two envelopes of a channel
 * against the same state; the expected revision stops a fork between processes.
 */
@CommandHandler(AppendEventCommand)
export class AppendEventHandler implements ICommandHandler<AppendEventCommand, AppendResult> {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(NOTARY_KEY) private readonly notary: NotaryKey,
    @Inject(PARLEY_CONFIG) private readonly config: ParleyConfig,
    private readonly states: ChannelStateCache,
    private readonly queue: ChannelQueue,
    private readonly eventBus: EventBus,
    private readonly metrics: ParleyMetrics,
  ) {}

  async execute({ channel, envelope }: AppendEventCommand): Promise<AppendResult> {
    // Refusals are counted by the exception filter, with those of the body reader and DTO.
    const result = await this.queue.run(channel, () => this.append(channel, envelope));
    this.metrics.appends.inc({ created: String(result.created) });
    return result;
  }

  private async append(channel: string, input: unknown): Promise<AppendResult> {
    // Step 1 before anything is read: what is not an envelope costs no store read and takes
    // no place in the state cache (a flood of junk would push real channels out of it).
    const problem = shapeProblem(input);
    if (problem) throw AppendRejected.malformed(problem);
    const env = input as Envelope;
    // The server's own terms next, as cheaply: an opening naming another notary costs no
    // store read and none of its up to 256 proof verifications.
    const policy = this.policyViolation(env);
    if (policy) throw AppendRejected.violation(policy, env.seq);
    let state = await this.states.current(channel);
    let found = firstViolation(state, input, { channel });
    if (found) {
      // The cache may be behind the store (another process appended): decide on the
      // caught-up state only. An in-date cache makes this one empty read, and the verdict
      // stands without checking again (an envelope refused and re-sent costs one check).
      const checkedAt = state.nextSeq;
      state = await this.states.catchUp(channel);
      if (state.nextSeq !== checkedAt) found = firstViolation(state, input, { channel });
    }
    if (found) return this.refuse(channel, state, input, found);
    const full = capacityViolation(state, env);
    if (full) throw AppendRejected.violation(full, env.seq);

    let stored;
    try {
      stored = await this.store.append(
        channelStream(channel),
        // Stored in canonical form (what the hash and signature cover, so they are unchanged,
        // and storedText makes sure of it):
        // one line whatever the sender's spelling, the same bytes for an identical retry in
        // another spelling, and the form every reader verifies fastest (canonicalSigSpan).
        [{ id: env.id, type: env.type, data: storedText(env) }],
        env.seq === 0 ? 'no_stream' : env.seq - 1,
      );
    } catch (err) {
      if (!(err instanceof WrongExpectedRevisionError || err instanceof IdempotencyError)) throw err;
      // Another process appended first: answer from what the store now holds.
      state = await this.states.catchUp(channel);
      const again = firstViolation(state, input, { channel }) ?? violation('seq_gap', 'the channel moved on while appending');
      return this.refuse(channel, state, input, again);
    }
    const hash = eventHash(env);
    const position = stored.position;
    // Either way the envelope is now the channel's event at its seq.
    this.states.applied(channel, state, env);
    // Not created: the store held this very envelope already and answered by its id. Stored
    // by another process while our state was behind, it was announced there; stored by this
    // one in a batch whose commit acknowledgement was lost (the batch is retried alone), by
    // no one. So it is announced either way: the listeners are idempotent (the notary stores
    // one TransferAgreed at most), and otherwise a quorum waited for the minute's sweep.
    this.eventBus.publish(new EventAppended(channel, env, hash, position));
    return { created: stored.created, seq: env.seq, hash, position };
  }

  /** A refusal, or 200 for an identical retry of an envelope already stored at its seq. */
  private async refuse(channel: string, state: ChannelState, input: unknown, found: Violation): Promise<AppendResult> {
    if (found.code === 'malformed') throw AppendRejected.malformed(found.message);
    const env = input as Envelope;
    if (CHAIN_CONFLICT_CODES.includes(found.code)) {
      const retry = env.seq < state.nextSeq ? await this.storedCopy(channel, env) : null;
      if (retry) return retry;
      throw AppendRejected.chainConflict(found, { seq: state.nextSeq, prev: state.head });
    }
    throw AppendRejected.violation(found, env.seq);
  }

  private async storedCopy(channel: string, env: Envelope): Promise<AppendResult | null> {
    const [stored] = await this.store.readStream(channelStream(channel), env.seq, 1);
    if (!stored || stored.id !== env.id) return null;
    const hash = eventHash(parseEnvelopeText(stored.data) as Envelope);
    return hash === eventHash(env) ? { created: false, seq: env.seq, hash, position: stored.position } : null;
  }

  /**
   * The server's policy beyond the protocol, answered 422 `forbidden`: Part 3 names that
   * code for the notary-key refusal, the other refusal of a valid envelope on the server's
   * own terms. An `at` too far ahead is the same kind of refusal (the author's clock, not the
   * envelope's form or the channel's state, is wrong), so it uses the same code rather than
   * `invalid_transition`, which clients read as "the negotiation's state forbids this".
   */
  private policyViolation(env: Envelope): Violation | null {
    if (env.type === 'ChannelOpened') {
      const named = (env.meta as MetaByType['ChannelOpened']).notary.signKey;
      if (named !== this.notary.signKey) {
        return violation('forbidden', `meta.notary.signKey must be this server's notary key (GET /v1/notary)`);
      }
    }
    const skewMs = this.config.PARLEY_MAX_CLOCK_SKEW_S * 1000;
    if (Date.parse(env.at) > Date.now() + skewMs) {
      return violation('forbidden', `at is more than ${this.config.PARLEY_MAX_CLOCK_SKEW_S} s in the future`);
    }
    return null;
  }
}

/**
 * The server's own cap, beyond the protocol (DESIGN.md 1.5 caps a ChannelOpened at 256
 * participants and a body at 256 keys, but not admissions): a ParticipantAdmitted that
 * would make more active participants than a body can be sealed to is refused. Past it, no
 * body that all must read (a request, a proposal, a TransferCancelled) could be sealed any
 * more, and one party could freeze the channel against the others by admitting its own.
 */
function capacityViolation(state: ChannelState, env: Envelope): Violation | null {
  if (env.type !== 'ParticipantAdmitted') return null;
  const active = activeParticipants(state).length;
  if (active < LIMITS.keys) return null;
  return violation(
    'forbidden',
    `this channel has ${active} active participants, as many as a body can be sealed to (${LIMITS.keys} keys): revoke one before admitting another`,
  );
}
