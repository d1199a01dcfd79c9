/**
 * The read model store beside the configured event store: in its SQLite file or its
 * PostgreSQL schema, so that rows and checkpoint share the events' database. EventStoreDB
 * has no tables, so there the read models get a SQLite file of their own in the data
 * directory (rows and checkpoint still commit together; only the events live apart).
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import type { Pool } from 'pg';
import type { EventStore } from '../store/event-store.port';
import { createOwnerOnly } from '../store/sqlite/owner-only-file';
import { PostgresReadModelStore } from './postgres/postgres-read-model.store';
import type { ReadModelStore } from './read-model-store.port';
import { SqliteReadModelStore } from './sqlite/sqlite-read-model.store';

export const READ_MODELS_FILE = 'read-models.sqlite';

const hasSqliteHandle = (store: object): store is { database: Database.Database } =>
  'database' in store && store.database instanceof Database;
const hasPool = (store: object): store is { pool: Pool; schema: string } => 'pool' in store && 'schema' in store;

export function createReadModelStore(store: EventStore, dataDir: string): ReadModelStore {
  if (hasSqliteHandle(store)) return new SqliteReadModelStore(store.database);
  if (hasPool(store)) return new PostgresReadModelStore(store.pool, { schema: store.schema });
  const file = join(dataDir, READ_MODELS_FILE);
  createOwnerOnly(file); // as the SQLite event store: parties, requests and their progress
  const own = new Database(file);
  own.pragma('journal_mode = WAL');
  own.pragma('synchronous = FULL');
  const readModels = new SqliteReadModelStore(own);
  readModels.close = async () => void own.close();
  return readModels;
}
