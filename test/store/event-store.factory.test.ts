import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createEventStore, eventStoreConfigFromEnv, EventStoreConfigError } from '../../src/store';
import { PostgresEventStore } from '../../src/store/postgres/postgres-event-store.adapter';
import { SqliteEventStore } from '../../src/store/sqlite/sqlite-event-store.adapter';
import { newEvent, newStream, POSTGRES_URL, tempDir, testSchema } from './store-test-kit';

describe('event store configuration', () => {
  it('defaults to SQLite in ./data/parley.sqlite', () => {
    expect(eventStoreConfigFromEnv({})).toEqual({ kind: 'sqlite', file: join('data', 'parley.sqlite') });
    expect(eventStoreConfigFromEnv({ PARLEY_DATA_DIR: '/var/parley' })).toEqual({ kind: 'sqlite', file: '/var/parley/parley.sqlite' });
  });

  it('reads the PostgreSQL and EventStoreDB settings', () => {
    expect(eventStoreConfigFromEnv({ PARLEY_STORE: 'postgres', PARLEY_POSTGRES_URL: 'postgres://h/db', PARLEY_POSTGRES_SCHEMA: 'p1' })).toEqual({
      kind: 'postgres',
      connectionString: 'postgres://h/db',
      schema: 'p1',
    });
    expect(eventStoreConfigFromEnv({ PARLEY_STORE: 'eventstoredb', PARLEY_ESDB_URL: 'esdb://h:2113?tls=false' })).toEqual({
      kind: 'eventstoredb',
      connectionString: 'esdb://h:2113?tls=false',
    });
  });

  it.each([
    [{ PARLEY_STORE: 'mysql' }, 'PARLEY_STORE must be one of sqlite, postgres, eventstoredb; got "mysql"'],
    [{ PARLEY_STORE: 'postgres' }, 'PARLEY_POSTGRES_URL is required when PARLEY_STORE=postgres'],
    [{ PARLEY_STORE: 'postgres', PARLEY_POSTGRES_URL: 'mysql://x' }, 'PARLEY_POSTGRES_URL must be a postgres:// URL'],
    [{ PARLEY_STORE: 'eventstoredb' }, 'PARLEY_ESDB_URL is required when PARLEY_STORE=eventstoredb'],
    [{ PARLEY_STORE: 'eventstoredb', PARLEY_ESDB_URL: 'http://x' }, 'PARLEY_ESDB_URL must be an esdb:// URL'],
  ])('explains a bad configuration %j', (env, message) => {
    expect(() => eventStoreConfigFromEnv(env)).toThrow(new EventStoreConfigError(message));
  });

  it('rejects a PostgreSQL schema name that is not a plain identifier', async () => {
    await expect(createEventStore({ kind: 'postgres', connectionString: POSTGRES_URL, schema: 'x"; drop' })).rejects.toThrow(
      /schema name must match/,
    );
  });

  it('creates the default SQLite store, directory included', async () => {
    const dir = tempDir('parley-factory-');
    try {
      const store = await createEventStore(eventStoreConfigFromEnv({ PARLEY_DATA_DIR: join(dir.path, 'nested') }));
      expect(store).toBeInstanceOf(SqliteEventStore);
      await store.append(newStream(), [newEvent()], 'no_stream');
      await store.close();
      expect(existsSync(join(dir.path, 'nested', 'parley.sqlite'))).toBe(true);
    } finally {
      dir.remove();
    }
  });

  it('creates the PostgreSQL store in its schema', async () => {
    const schema = testSchema();
    try {
      const store = await createEventStore(
        eventStoreConfigFromEnv({ PARLEY_STORE: 'postgres', PARLEY_POSTGRES_URL: POSTGRES_URL, PARLEY_POSTGRES_SCHEMA: schema.name }),
      );
      expect(store).toBeInstanceOf(PostgresEventStore);
      expect((store as PostgresEventStore).schema).toBe(schema.name);
      await store.close();
    } finally {
      await schema.drop();
    }
  });
});
