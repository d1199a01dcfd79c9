/**
 * Chooses and builds the event store from configuration:
 * PARLEY_STORE=sqlite (default; a file PARLEY_DATA_DIR/parley.sqlite, nothing to install),
 * postgres (PARLEY_POSTGRES_URL, optional PARLEY_POSTGRES_SCHEMA) or
 * eventstoredb (PARLEY_ESDB_URL). Adapters are required only when chosen, so the default
 * does not load pg or the gRPC client (plain require: under module node16 an import()
 * would stay an ESM import).
 */
import { join } from 'node:path';
import { EventStoreConfigError } from './event-store.errors';
import type { EventStore } from './event-store.port';

export type EventStoreConfig =
  | { kind: 'sqlite'; file: string; groupCommit?: boolean }
  | { kind: 'postgres'; connectionString: string; schema?: string }
  | { kind: 'eventstoredb'; connectionString: string };

export const STORE_KINDS = ['sqlite', 'postgres', 'eventstoredb'] as const;
export const SQLITE_FILE_NAME = 'parley.sqlite';

/** Reads the store's variables; throws EventStoreConfigError naming the variable at fault. */
export function eventStoreConfigFromEnv(env: NodeJS.ProcessEnv = process.env): EventStoreConfig {
  const kind = nonEmpty(env.PARLEY_STORE) ?? 'sqlite';
  switch (kind) {
    case 'sqlite':
      return { kind, file: join(nonEmpty(env.PARLEY_DATA_DIR) ?? './data', SQLITE_FILE_NAME) };
    case 'postgres': {
      const url = required(env, 'PARLEY_POSTGRES_URL', kind, /^postgres(ql)?:\/\//, 'a postgres:// URL');
      const schema = nonEmpty(env.PARLEY_POSTGRES_SCHEMA);
      return schema === undefined ? { kind, connectionString: url } : { kind, connectionString: url, schema };
    }
    case 'eventstoredb':
      return { kind, connectionString: required(env, 'PARLEY_ESDB_URL', kind, /^esdb(\+discover)?:\/\//, 'an esdb:// URL') };
    default:
      throw new EventStoreConfigError(`PARLEY_STORE must be one of ${STORE_KINDS.join(', ')}; got ${JSON.stringify(kind)}`);
  }
}

/** Opens the configured store (for PostgreSQL, after running its migration). */
export async function createEventStore(config: EventStoreConfig = eventStoreConfigFromEnv()): Promise<EventStore> {
  switch (config.kind) {
    case 'sqlite': {
      const { SqliteEventStore } = require('./sqlite/sqlite-event-store.adapter') as typeof import('./sqlite/sqlite-event-store.adapter');
      return SqliteEventStore.open({ file: config.file, groupCommit: config.groupCommit });
    }
    case 'postgres': {
      const { PostgresEventStore } = require('./postgres/postgres-event-store.adapter') as typeof import('./postgres/postgres-event-store.adapter');
      return PostgresEventStore.connect({ connectionString: config.connectionString, schema: config.schema });
    }
    case 'eventstoredb': {
      const { EventStoreDbEventStore } =
        require('./eventstoredb/eventstoredb-event-store.adapter') as typeof import('./eventstoredb/eventstoredb-event-store.adapter');
      return EventStoreDbEventStore.connect({ connectionString: config.connectionString });
    }
  }
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function required(env: NodeJS.ProcessEnv, name: string, kind: string, shape: RegExp, what: string): string {
  const value = nonEmpty(env[name]);
  if (value === undefined) throw new EventStoreConfigError(`${name} is required when PARLEY_STORE=${kind}`);
  if (!shape.test(value)) throw new EventStoreConfigError(`${name} must be ${what}`);
  return value;
}
