import { Query } from '@nestjs/cqrs';
import type { ChannelHead } from '../commands/append-rejected.error';

/** The channel's head: the next seq and the hash it must chain to. 404 for a channel without events. */
export class GetHeadQuery extends Query<ChannelHead> {
  constructor(readonly channel: string) {
    super();
  }
}
