import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { notFound } from '../../common/api-error';
import { ChannelQueue } from '../channel-queue';
import { ChannelStateCache } from '../channel-state.cache';
import type { ChannelHead } from '../commands/append-rejected.error';
import { GetHeadQuery } from './get-head.query';

@QueryHandler(GetHeadQuery)
export class GetHeadHandler implements IQueryHandler<GetHeadQuery, ChannelHead> {
  constructor(
    private readonly states: ChannelStateCache,
    private readonly queue: ChannelQueue,
  ) {}

  async execute({ channel }: GetHeadQuery): Promise<ChannelHead> {
    const state = await this.queue.run(channel, () => this.states.catchUp(channel));
    if (state.nextSeq === 0) throw notFound(`channel ${channel} has no events`);
    return { seq: state.nextSeq, prev: state.head };
  }
}
