import { Query } from '@nestjs/cqrs';
import type { RecordedEvent } from '../../store/event-store.port';

/**
 * A channel's events from seq `from` on: the stored ones, then each new one as it is
 * appended, until `signal` aborts. Pull-based: nothing is read ahead of the consumer.
 */
export class FollowChannelQuery extends Query<AsyncIterable<RecordedEvent>> {
  constructor(
    readonly channel: string,
    readonly from: number,
    readonly signal: AbortSignal,
  ) {
    super();
  }
}
