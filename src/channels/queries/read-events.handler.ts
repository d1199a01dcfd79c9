import { Inject } from '@nestjs/common';
import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { notFound } from '../../common/api-error';
import { channelStream, EVENT_STORE, type EventStore, RecordedEvent, StreamNotFoundError } from '../../store/event-store.port';
import { ReadEventsQuery } from './read-events.query';

/** Envelopes per store read: bounds what one response holds in memory at a time. */
export const READ_PAGE = 256;

@QueryHandler(ReadEventsQuery)
export class ReadEventsHandler implements IQueryHandler<ReadEventsQuery, AsyncIterable<string>> {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  /** Checks the channel exists before the answer starts, then yields the pages lazily. */
  async execute({ channel, from, limit }: ReadEventsQuery): Promise<AsyncIterable<string>> {
    const stream = channelStream(channel);
    if ((await this.store.streamHead(stream)) === null) throw notFound(`channel ${channel} has no events`);
    return this.pages(stream, from, limit);
  }

  private async *pages(stream: string, from: number, limit: number): AsyncGenerator<string> {
    let next = from;
    let left = limit;
    while (left > 0) {
      const page = await readStreamOrEmpty(this.store, stream, next, Math.min(READ_PAGE, left));
      for (const e of page) yield e.data;
      if (page.length < Math.min(READ_PAGE, left)) return;
      next += page.length;
      left -= page.length;
    }
  }
}

export async function readStreamOrEmpty(store: EventStore, stream: string, from: number, limit: number): Promise<RecordedEvent[]> {
  try {
    return await store.readStream(stream, from, limit);
  } catch (err) {
    if (err instanceof StreamNotFoundError) return [];
    throw err;
  }
}
