import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { PARLEY_CONFIG, type ParleyConfig } from '../config/parley-config';
import { EVENT_STORE, type EventStore } from '../store/event-store.port';
import { NoteAppendedHandler } from './events/note-appended.handler';
import { ProjectionService } from './projection.service';
import { READ_MODEL_QUERY_HANDLERS } from './queries/read-model.handlers';
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
    ...READ_MODEL_QUERY_HANDLERS,
  ],
  exports: [ProjectionService],
})
export class ProjectionsModule {}
