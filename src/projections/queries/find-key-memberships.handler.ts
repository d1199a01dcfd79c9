import { QueryHandler } from '@nestjs/cqrs';
import type { KeyMembership } from '../read-model-rows';
import type { ReadModelStore } from '../read-model-store.port';
import { FindKeyMembershipsQuery } from './find-key-memberships.query';
import { ReadModelQueryHandler } from './read-model-query.handler';

@QueryHandler(FindKeyMembershipsQuery)
export class FindKeyMembershipsHandler extends ReadModelQueryHandler<FindKeyMembershipsQuery, KeyMembership[]> {
  protected read(readModels: ReadModelStore, { keyid }: FindKeyMembershipsQuery) {
    return readModels.keyMemberships(keyid);
  }
}
