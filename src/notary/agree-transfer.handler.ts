import { Inject, Logger } from '@nestjs/common';
import { CommandBus, CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { AppendEventCommand } from '../channels/commands/append-event.command';
import { ProjectionStateCache } from '../projections/projection-state.cache';
import { Envelope, eventHash, type EventType, MEMBERSHIP_TYPES, parseEnvelopeText, verifyEnvelopeSignature, verifyParticipantProof } from '../protocol';
import { channelStream, EVENT_STORE, type EventStore } from '../store/event-store.port';
import { AgreeTransferCommand, AgreementOutcome } from './agree-transfer.command';
import { NOTARY_KEY, type NotaryKey } from './notary-key';
import { agreementDecision, buildTransferAgreed, vouchedEvents } from './transfer-agreement';

export const NOTARY_ATTEMPTS = 5;

const MEMBERSHIP: ReadonlySet<EventType> = new Set(MEMBERSHIP_TYPES);

const errorCode = (error: unknown): string =>
  (error as { code?: unknown }).code !== undefined ? String((error as { code: unknown }).code) : (error as Error).name;

/**
 * Appends the notary's TransferAgreed once a proposal's quorum is met. The state is read
 * from the store (caught up incrementally per channel) right before each attempt, so a
 * refusal — another instance appended first, or the channel moved on (409 seq_gap or
 * prev_mismatch) — is followed by a re-read that finds the proposal agreed, or by a retry at
 * the new head. Bounded: after NOTARY_ATTEMPTS the next start's sweep takes over.
 */
@CommandHandler(AgreeTransferCommand)
export class AgreeTransferHandler implements ICommandHandler<AgreeTransferCommand> {
  private readonly logger = new Logger('Notary');
  private readonly states: ProjectionStateCache;
  private readonly toldOtherNotary = new Set<string>();

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(NOTARY_KEY) private readonly key: NotaryKey,
    private readonly commandBus: CommandBus,
  ) {
    // The membership events' signatures and participant proofs are checked as the state is
    // folded (the projections check the rules only): one written past the service must not
    // make its key a signer the notary counts. The proposal and acceptances a TransferAgreed
    // cites are verified before signing (vouchedEvents); the other events decide nothing the
    // notary signs, and verifying them all would cost a long channel's first agreement after
    // a start several times over.
    this.states = new ProjectionStateCache(store, {
      maxChannels: 1000,
      fold: { verifySignature: (env, signKey) => !MEMBERSHIP.has(env.type) || verifyEnvelopeSignature(env, signKey), verifyProof: verifyParticipantProof },
      onStopped: (channel, seq, violation) =>
        this.logger.error(
          `channel ${channel}: the stored event at seq ${seq} is refused (${violation.code}: ${violation.message}); written past the service? ` +
            'No TransferAgreed is signed in this channel until it is repaired',
        ),
    });
  }

  async execute({ channel, proposal }: AgreeTransferCommand): Promise<AgreementOutcome> {
    for (let attempt = 1; attempt <= NOTARY_ATTEMPTS; attempt++) {
      // Holding the channel: two acceptances of one channel arriving together are decided in turn.
      const outcome = await this.states.withLatest(channel, async (state, stopped) => {
        if (stopped) return 'refused' as const; // said once by onStopped
        const decision = state && agreementDecision(state, proposal, this.key.signKey);
        if (decision && !decision.due && decision.reason === 'other_notary') this.otherNotary(channel, state!.notaryKey);
        if (!state || !decision?.due) return 'not_due' as const;
        const forged = await this.unverified(channel, vouchedEvents(state, decision.meta));
        if (forged !== null) {
          this.logger.error(`channel ${channel}: the stored event at seq ${forged} does not verify (written past the service?): no TransferAgreed signed on it`);
          return 'refused' as const;
        }
        const envelope = buildTransferAgreed(state, decision.meta, this.key.sign, new Date());
        try {
          await this.commandBus.execute(new AppendEventCommand(channel, envelope));
          return 'appended' as const;
        } catch (error) {
          this.logger.warn(`TransferAgreed for proposal ${proposal} refused (${errorCode(error)}), attempt ${attempt}`);
          return null;
        }
      });
      if (outcome) return outcome;
      await new Promise((resolve) => setTimeout(resolve, 10 * attempt + Math.random() * 20));
    }
    this.logger.error(`TransferAgreed for proposal ${proposal} of channel ${channel} not appended after ${NOTARY_ATTEMPTS} attempts`);
    return 'failed';
  }

  /**
   * A quorum this instance cannot agree: the channel names another notary key. Said once per
   * channel and process, loudly: after a restore without the data directory's notary.key (or
   * with instances given different seeds) no agreement would ever come, and nobody be told.
   */
  private otherNotary(channel: string, named: string | null): void {
    if (this.toldOtherNotary.has(channel)) return;
    this.toldOtherNotary.add(channel);
    this.logger.error(
      `channel ${channel} names notary key ${named}, not this server's (${this.key.signKey}): its transfers cannot be agreed here. ` +
        'If the server was restored, restore notary.key (or PARLEY_NOTARY_SEED) too (docs/reliability.md, Restore)',
    );
  }

  /** The seq of the first event that is not as stored and signed by its key, or null if all are. */
  private async unverified(channel: string, events: ReturnType<typeof vouchedEvents>): Promise<number | null> {
    for (const { ref, signKey } of events) {
      const [stored] = await this.store.readStream(channelStream(channel), ref.seq, 1);
      const env = stored && (parseEnvelopeText(stored.data) as Envelope);
      if (!env || !signKey || eventHash(env) !== ref.hash || !verifyEnvelopeSignature(env, signKey)) return ref.seq;
    }
    return null;
  }
}
