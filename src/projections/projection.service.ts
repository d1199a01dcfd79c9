import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit, Optional } from '@nestjs/common';
import { ParleyMetrics } from '../ops/parley-metrics';
import { EVENT_STORE, type EventStore } from '../store/event-store.port';
import { ProjectionRunner } from './projection.runner';
import { READ_MODEL_STORE, type ReadModelStore } from './read-model-store.port';

/** How long a query waits for the read models to include the log's head (read-your-writes). */
export const READ_YOUR_WRITES_MS = 2000;

/** How often the lag gauge learns the log's end from the store (other instances' appends included). */
const LAG_REFRESH_MS = 5000;

/**
 * The read model projection of this service instance. It starts at module init (before any
 * bootstrap hook, so the notary's sweep finds it running) and stops before the store closes.
 */
@Injectable()
export class ProjectionService implements OnModuleInit, OnModuleDestroy {
  readonly runner: ProjectionRunner;
  private readonly logger = new Logger(ProjectionService.name);
  private lagTimer: NodeJS.Timeout | null = null;

  constructor(
    @Inject(EVENT_STORE) store: EventStore,
    @Inject(READ_MODEL_STORE) readonly readModels: ReadModelStore,
    @Optional() private readonly metrics?: ParleyMetrics,
  ) {
    const lag = metrics?.projectionLag.labels('read_models');
    this.runner = new ProjectionRunner(store, readModels, {
      onLag: (events) => lag?.set(events),
      // The message only: never an envelope or a body.
      onError: (error) => this.logger.error(`projection failed, retrying: ${(error as Error).message}`),
      onRebuild: (version) => this.logger.log(`read models: projecting the whole log into tables of version ${version} (new, or written by another version)`),
      onStoppedChannel: (channel, seq, v) =>
        this.logger.error(`channel ${channel}: the stored event at seq ${seq} breaks the rules (${v.code}: ${v.message}); its read models stop before it`),
    });
  }

  async onModuleInit(): Promise<void> {
    await this.runner.start();
    if (this.metrics) {
      this.lagTimer = setInterval(() => void this.runner.refreshLag().catch(() => undefined), LAG_REFRESH_MS);
      this.lagTimer.unref();
    }
  }

  async onModuleDestroy(): Promise<void> {
    if (this.lagTimer) clearInterval(this.lagTimer);
    await this.runner.stop();
    await this.readModels.close();
  }

  /** Waits (bounded) until the read models include every event now in the log. */
  async caughtUp(timeoutMs = READ_YOUR_WRITES_MS): Promise<boolean> {
    const done = await this.runner.catchUp(timeoutMs, { giveUpWhenFar: true });
    if (!done) this.logger.warn(`read models still behind the log after ${timeoutMs} ms; answering from what they hold`);
    return done;
  }
}
