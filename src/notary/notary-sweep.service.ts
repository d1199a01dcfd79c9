import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ChannelStateQuery } from '../projections/queries/channel-state.query';
import { ChannelsAwaitingNotaryQuery } from '../projections/queries/channels-awaiting-notary.query';
import { AgreeTransferCommand, AgreementOutcome } from './agree-transfer.command';

/**
 * At start, once the read models have caught up: every proposal still pending with its
 * quorum met gets its TransferAgreed. Covers a crash (or a failed append) between the last
 * acceptance and the notary's event, which no live EventAppended would announce again.
 */
@Injectable()
export class NotarySweepService implements OnApplicationBootstrap {
  private readonly logger = new Logger('Notary');
  /** The start-up sweep's outcomes (tests and shutdown wait on it). */
  done: Promise<AgreementOutcome[]> = Promise.resolve([]);

  constructor(
    private readonly queryBus: QueryBus,
    private readonly commandBus: CommandBus,
  ) {}

  onApplicationBootstrap(): void {
    // In the background: a long catch-up must not hold the server's start.
    this.done = this.sweep().catch((error) => {
      this.logger.error(`notary sweep failed: ${(error as Error).message}`);
      return [];
    });
  }

  async sweep(): Promise<AgreementOutcome[]> {
    const outcomes: AgreementOutcome[] = [];
    for (const channel of await this.queryBus.execute(new ChannelsAwaitingNotaryQuery())) {
      const state = await this.queryBus.execute(new ChannelStateQuery(channel));
      for (const p of state?.proposals.filter((x) => x.status === 'pending') ?? []) {
        outcomes.push(await this.commandBus.execute(new AgreeTransferCommand(channel, p.proposal)));
      }
    }
    return outcomes;
  }
}
