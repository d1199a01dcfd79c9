/**
 * Catch-up-then-live subscription for stores whose global log can be paged with
 * `readAll(after, limit)` and whose positions become visible in order (both SQL adapters
 * guarantee that). Catching up and being live are the same loop — read the page after the
 * last delivered position; if it is empty, wait for a change signal or the poll interval —
 * so there is no switch-over moment at which an event could be skipped or repeated.
 * A page is read only when the consumer has taken the previous one (pull, bounded memory).
 */
import type { ChangeSignal } from './change-signal';
import type { RecordedEvent, SubscribeOptions, Subscription } from './event-store.port';

export interface PagedLog {
  readAll(fromPosition: string | undefined, limit: number): Promise<RecordedEvent[]>;
}

export const DEFAULT_SUBSCRIPTION_BATCH = 256;

export class PollingSubscription implements Subscription, AsyncIterator<RecordedEvent> {
  private position: string | undefined;
  private page: RecordedEvent[] = [];
  private next_ = 0;
  private closed = false;
  private readonly abort = new AbortController();
  /** Serialises next() calls, should a consumer not await one before the next. */
  private queue: Promise<unknown> = Promise.resolve();
  private readonly batchSize: number;
  private readonly pollIntervalMs: number;

  constructor(
    private readonly log: PagedLog,
    private readonly changes: ChangeSignal,
    fromPosition: string | undefined,
    options: SubscribeOptions,
    defaultPollIntervalMs: number,
    private readonly onClose: (s: PollingSubscription) => void = () => {},
  ) {
    this.position = fromPosition;
    this.batchSize = options.batchSize ?? DEFAULT_SUBSCRIPTION_BATCH;
    this.pollIntervalMs = options.pollIntervalMs ?? defaultPollIntervalMs;
  }

  [Symbol.asyncIterator](): AsyncIterator<RecordedEvent> {
    return this;
  }

  next(): Promise<IteratorResult<RecordedEvent>> {
    const result = this.queue.then(() => this.pull());
    this.queue = result.catch(() => undefined);
    return result;
  }

  async return(): Promise<IteratorResult<RecordedEvent>> {
    await this.close();
    return { done: true, value: undefined };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.abort.abort();
    this.page = [];
    this.onClose(this);
  }

  private async pull(): Promise<IteratorResult<RecordedEvent>> {
    while (!this.closed) {
      if (this.next_ < this.page.length) {
        const event = this.page[this.next_++];
        this.position = event.position;
        return { done: false, value: event };
      }
      const seen = this.changes.current;
      this.page = await this.log.readAll(this.position, this.batchSize);
      this.next_ = 0;
      if (this.page.length === 0 && !this.closed) {
        await this.changes.waitForChange(seen, this.pollIntervalMs, this.abort.signal);
      }
    }
    return { done: true, value: undefined };
  }
}
