import { Global, Inject, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import { join } from 'node:path';
import { PARLEY_CONFIG, type ParleyConfig } from '../config/parley-config';
import { createEventStore, EventStoreConfig, SQLITE_FILE_NAME } from './event-store.factory';
import { EVENT_STORE, type EventStore } from './event-store.port';

/** The store the configuration names (PARLEY_POSTGRES_SCHEMA, for tests and tenants, is read from the environment). */
export function storeConfigOf(config: ParleyConfig, env: NodeJS.ProcessEnv = process.env): EventStoreConfig {
  switch (config.PARLEY_STORE) {
    case 'sqlite':
      return { kind: 'sqlite', file: join(config.PARLEY_DATA_DIR, SQLITE_FILE_NAME) };
    case 'postgres': {
      const schema = env.PARLEY_POSTGRES_SCHEMA?.trim();
      return { kind: 'postgres', connectionString: config.PARLEY_POSTGRES_URL!, ...(schema ? { schema } : {}) };
    }
    case 'eventstoredb':
      return { kind: 'eventstoredb', connectionString: config.PARLEY_ESDB_URL! };
  }
}

/** Provides EVENT_STORE to the whole application and closes it on shutdown. */
@Global()
@Module({
  providers: [
    {
      provide: EVENT_STORE,
      inject: [PARLEY_CONFIG],
      useFactory: (config: ParleyConfig) => createEventStore(storeConfigOf(config)),
    },
  ],
  exports: [EVENT_STORE],
})
export class EventStoreModule implements OnApplicationShutdown {
  private readonly logger = new Logger('EventStoreModule');

  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
    this.logger.log('event store closed');
  }
}
