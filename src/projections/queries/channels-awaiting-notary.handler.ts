import { QueryHandler } from '@nestjs/cqrs';
import type { ReadModelStore } from '../read-model-store.port';
import { ChannelsAwaitingNotaryQuery } from './channels-awaiting-notary.query';
import { ReadModelQueryHandler } from './read-model-query.handler';

@QueryHandler(ChannelsAwaitingNotaryQuery)
export class ChannelsAwaitingNotaryHandler extends ReadModelQueryHandler<ChannelsAwaitingNotaryQuery, string[]> {
  protected read(readModels: ReadModelStore) {
    return readModels.channelsAwaitingNotary();
  }
}
