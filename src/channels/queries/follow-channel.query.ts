import { Query } from '@nestjs/cqrs';
import type { RecordedEvent } from '../../store/event-store.port';

/**
 * A channel's events from seq `from` on: the stored ones, then each new one as it is
 * appended, until `signal` aborts. Pull-based: nothing is read ahead of the consumer.
 * `readerKeyid`: the participant key the stream is for (null for a global auditor); the
 * stream ends once that key is no longer an active participant of the channel.
 */
export class FollowChannelQuery extends Query<AsyncIterable<RecordedEvent>> {
  constructor(
    readonly channel: string,
    readonly from: number,
    readonly signal: AbortSignal,
    readonly readerKeyid: string | null,
  ) {
    super();
  }
}
