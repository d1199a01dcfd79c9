import { QueryHandler } from '@nestjs/cqrs';
import type { ChannelStateView } from '../read-model-rows';
import type { ReadModelStore } from '../read-model-store.port';
import { ChannelStateQuery } from './channel-state.query';
import { ReadModelQueryHandler } from './read-model-query.handler';

@QueryHandler(ChannelStateQuery)
export class ChannelStateHandler extends ReadModelQueryHandler<ChannelStateQuery, ChannelStateView | null> {
  protected read(readModels: ReadModelStore, { channel }: ChannelStateQuery) {
    return readModels.channelState(channel);
  }
}
