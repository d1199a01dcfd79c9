import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { PARLEY_CONFIG, type ParleyConfig } from '../config/parley-config';
import { EVENT_STORE, type EventStore } from '../store/event-store.port';
import { NoteAppendedHandler } from './events/note-appended.handler';
import { ProjectionService } from './projection.service';
import { ChannelStateHandler } from './queries/channel-state.handler';
import { ChannelsAwaitingNotaryHandler } from './queries/channels-awaiting-notary.handler';
import { FindKeyMembershipsHandler } from './queries/find-key-memberships.handler';
import { OpenRequestsHandler } from './queries/open-requests.handler';
import { ReunificationsHandler } from './queries/reunifications.handler';
import { createReadModelStore } from './read-model-store.factory';
import { READ_MODEL_STORE } from './read-model-store.port';
import { ReadModelsController } from './read-models.controller';

/** Read models (open requests, reunifications, agreement state, key memberships) on the query bus. */
@Module({
  imports: [AuthModule],
  controllers: [ReadModelsController],
  providers: [
    {
      provide: READ_MODEL_STORE,
      inject: [EVENT_STORE, PARLEY_CONFIG],
      useFactory: (store: EventStore, config: ParleyConfig) => createReadModelStore(store, config.PARLEY_DATA_DIR),
    },
    ProjectionService,
    NoteAppendedHandler,
    OpenRequestsHandler,
    ReunificationsHandler,
    ChannelStateHandler,
    FindKeyMembershipsHandler,
    ChannelsAwaitingNotaryHandler,
  ],
  exports: [ProjectionService],
})
export class ProjectionsModule {}
