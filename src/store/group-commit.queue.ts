/**
 * Group commit: appends that arrive while the store is busy (or within the same event-loop
 * turn) are handed to the adapter as one batch, which it writes in one transaction — one
 * fsync for many callers. Each caller's promise settles only after that transaction
 * committed. The adapter decides each request against the state that includes the batch's
 * earlier requests and reports a per-request failure (a conflict) without failing the
 * others. If the batch as a whole fails (an unexpected database error), each request is
 * retried alone so that one bad request cannot take its neighbours down; retrying is safe
 * because appends are idempotent by event id.
 */
import { EventStoreClosedError } from './event-store.errors';

/** One outcome per request, in order: a value or the error for that request alone. */
export type BatchOutcome<Res> = { ok: true; value: Res } | { ok: false; error: unknown };

export type BatchRunner<Req, Res> = (requests: Req[]) => Promise<BatchOutcome<Res>[]> | BatchOutcome<Res>[];

export interface GroupCommitOptions {
  /** false: every request is its own transaction, run as soon as it arrives. */
  enabled: boolean;
  /** Most requests in one transaction (default 512). */
  maxBatch?: number;
}

interface Pending<Req, Res> {
  request: Req;
  resolve(value: Res): void;
  reject(error: unknown): void;
}

export class GroupCommitQueue<Req, Res> {
  private pending: Pending<Req, Res>[] = [];
  private running: Promise<void> | null = null;
  private readonly unbatched = new Set<Promise<void>>();
  private closed = false;
  private readonly maxBatch: number;
  /** Transactions run and requests they carried, for tests and the benchmark. */
  readonly stats = { batches: 0, requests: 0 };

  constructor(
    private readonly runBatch: BatchRunner<Req, Res>,
    private readonly options: GroupCommitOptions,
  ) {
    this.maxBatch = options.maxBatch ?? 512;
  }

  submit(request: Req): Promise<Res> {
    if (this.closed) return Promise.reject(new EventStoreClosedError());
    return new Promise<Res>((resolve, reject) => {
      const item = { request, resolve, reject };
      if (!this.options.enabled) {
        const settled = this.settle([item]).finally(() => this.unbatched.delete(settled));
        this.unbatched.add(settled);
        return;
      }
      this.pending.push(item);
      // setImmediate lets every caller that runs in this turn join the batch.
      this.running ??= new Promise<void>((done) => setImmediate(() => void this.drain().finally(done)));
    });
  }

  /** Stops accepting requests and waits for the queued ones to be written. */
  async close(): Promise<void> {
    this.closed = true;
    while (this.running) await this.running;
    await Promise.all(this.unbatched);
  }

  private async drain(): Promise<void> {
    try {
      while (this.pending.length > 0) {
        const batch = this.pending.splice(0, this.maxBatch);
        await this.settle(batch);
      }
    } finally {
      this.running = null;
    }
  }

  private async settle(batch: Pending<Req, Res>[]): Promise<void> {
    let outcomes: BatchOutcome<Res>[];
    try {
      this.stats.batches++;
      this.stats.requests += batch.length;
      outcomes = await this.runBatch(batch.map((p) => p.request));
    } catch (error) {
      if (batch.length === 1) {
        batch[0].reject(error);
        return;
      }
      for (const item of batch) await this.settle([item]);
      return;
    }
    batch.forEach((item, i) => {
      const outcome = outcomes[i];
      if (outcome.ok) item.resolve(outcome.value);
      else item.reject(outcome.error);
    });
  }
}
