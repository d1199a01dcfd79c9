import { Query } from '@nestjs/cqrs';
import type { ChannelStateView } from '../read-model-rows';

/** The agreement state of one channel; null when it has no event. */
export class ChannelStateQuery extends Query<ChannelStateView | null> {
  constructor(readonly channel: string) {
    super();
  }
}
