import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ChannelStateQuery } from '../projections/queries/channel-state.query';
import { ChannelsAwaitingNotaryQuery } from '../projections/queries/channels-awaiting-notary.query';
import { AgreeTransferCommand, AgreementOutcome } from './agree-transfer.command';

/** How often a running instance sweeps again (another instance may have died mid-agreement). */
export const NOTARY_SWEEP_INTERVAL_MS = 60_000;

/**
 * At start, once the read models have caught up, and then every minute: every proposal
 * still pending with its quorum met gets its TransferAgreed. Covers a crash (or a failed
 * append) between the last acceptance and the notary's event, which no live EventAppended
 * would announce again.
 */
@Injectable()
export class NotarySweepService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Notary');
  private timer: NodeJS.Timeout | null = null;
  /** The latest sweep's outcomes (tests and shutdown wait on it). */
  done: Promise<AgreementOutcome[]> = Promise.resolve([]);

  constructor(
    private readonly queryBus: QueryBus,
    private readonly commandBus: CommandBus,
  ) {}

  onApplicationBootstrap(): void {
    // In the background: a long catch-up must not hold the server's start.
    this.done = this.safeSweep();
    this.timer = setInterval(() => {
      this.done = this.done.then(() => this.safeSweep());
    }, NOTARY_SWEEP_INTERVAL_MS);
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.done;
  }

  async sweep(): Promise<AgreementOutcome[]> {
    const outcomes: AgreementOutcome[] = [];
    for (const channel of await this.queryBus.execute(new ChannelsAwaitingNotaryQuery())) {
      try {
        const state = await this.queryBus.execute(new ChannelStateQuery(channel));
        for (const p of state?.proposals.filter((x) => x.status === 'pending') ?? []) {
          outcomes.push(await this.commandBus.execute(new AgreeTransferCommand(channel, p.proposal)));
        }
      } catch (error) {
        // One channel failing (its stream unreadable just now, say) must not keep the others waiting.
        this.logger.error(`notary sweep of channel ${channel} failed: ${(error as Error).message}`);
        outcomes.push('failed');
      }
    }
    return outcomes;
  }

  private safeSweep(): Promise<AgreementOutcome[]> {
    return this.sweep().catch((error) => {
      this.logger.error(`notary sweep failed: ${(error as Error).message}`);
      return [];
    });
  }
}
