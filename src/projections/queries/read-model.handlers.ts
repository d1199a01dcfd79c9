/**
 * The read model queries. Each first waits (bounded) for the projection to include the
 * log's current head, so a client that has just appended sees its event.
 */
import { Injectable } from '@nestjs/common';
import { IQuery, QueryHandler } from '@nestjs/cqrs';
import { ProjectionService } from '../projection.service';
import type { ReadModelStore } from '../read-model-store.port';
import { ChannelStateQuery } from './channel-state.query';
import { ChannelsAwaitingNotaryQuery } from './channels-awaiting-notary.query';
import { FindKeyMembershipsQuery } from './find-key-memberships.query';
import { OpenRequestsQuery } from './open-requests.query';
import { ReunificationsQuery } from './reunifications.query';

@Injectable()
abstract class ReadModelHandler<Q extends IQuery, R> {
  constructor(private readonly projections: ProjectionService) {}

  async execute(query: Q): Promise<R> {
    await this.projections.caughtUp();
    return this.read(this.projections.readModels, query);
  }

  protected abstract read(readModels: ReadModelStore, query: Q): Promise<R>;
}

const list = (channels: readonly string[] | null) => channels && [...channels];

@QueryHandler(OpenRequestsQuery)
export class OpenRequestsHandler extends ReadModelHandler<OpenRequestsQuery, Awaited<ReturnType<ReadModelStore['requests']>>> {
  protected read(readModels: ReadModelStore, { channels, status }: OpenRequestsQuery) {
    return readModels.requests(list(channels), { status });
  }
}

@QueryHandler(ReunificationsQuery)
export class ReunificationsHandler extends ReadModelHandler<ReunificationsQuery, Awaited<ReturnType<ReadModelStore['reunifications']>>> {
  protected read(readModels: ReadModelStore, { channels }: ReunificationsQuery) {
    return readModels.reunifications(list(channels));
  }
}

@QueryHandler(ChannelStateQuery)
export class ChannelStateHandler extends ReadModelHandler<ChannelStateQuery, Awaited<ReturnType<ReadModelStore['channelState']>>> {
  protected read(readModels: ReadModelStore, { channel }: ChannelStateQuery) {
    return readModels.channelState(channel);
  }
}

@QueryHandler(FindKeyMembershipsQuery)
export class FindKeyMembershipsHandler extends ReadModelHandler<FindKeyMembershipsQuery, Awaited<ReturnType<ReadModelStore['keyMemberships']>>> {
  protected read(readModels: ReadModelStore, { keyid }: FindKeyMembershipsQuery) {
    return readModels.keyMemberships(keyid);
  }
}

@QueryHandler(ChannelsAwaitingNotaryQuery)
export class ChannelsAwaitingNotaryHandler extends ReadModelHandler<ChannelsAwaitingNotaryQuery, string[]> {
  protected read(readModels: ReadModelStore) {
    return readModels.channelsAwaitingNotary();
  }
}

export const READ_MODEL_QUERY_HANDLERS = [
  OpenRequestsHandler,
  ReunificationsHandler,
  ChannelStateHandler,
  FindKeyMembershipsHandler,
  ChannelsAwaitingNotaryHandler,
];
