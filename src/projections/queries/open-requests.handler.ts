import { QueryHandler } from '@nestjs/cqrs';
import type { RequestItem } from '../read-model-rows';
import type { ReadModelStore } from '../read-model-store.port';
import { OpenRequestsQuery } from './open-requests.query';
import { ReadModelQueryHandler } from './read-model-query.handler';

@QueryHandler(OpenRequestsQuery)
export class OpenRequestsHandler extends ReadModelQueryHandler<OpenRequestsQuery, RequestItem[]> {
  protected read(readModels: ReadModelStore, { channels, status }: OpenRequestsQuery) {
    return readModels.requests(channels && [...channels], { status });
  }
}
