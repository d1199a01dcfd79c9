import { QueryHandler } from '@nestjs/cqrs';
import type { ReunificationItem } from '../read-model-rows';
import type { ReadModelStore } from '../read-model-store.port';
import { ReadModelQueryHandler } from './read-model-query.handler';
import { ReunificationsQuery } from './reunifications.query';

@QueryHandler(ReunificationsQuery)
export class ReunificationsHandler extends ReadModelQueryHandler<ReunificationsQuery, ReunificationItem[]> {
  protected read(readModels: ReadModelStore, { channels }: ReunificationsQuery) {
    return readModels.reunifications(channels && [...channels]);
  }
}
