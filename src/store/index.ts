/** The event store: port, factory and adapters (DESIGN.md Part 2). */
export * from './event-store.port';
export * from './event-store.factory';
export type { SqliteEventStore, SqliteEventStoreOptions } from './sqlite/sqlite-event-store.adapter';
export type { PostgresEventStore, PostgresEventStoreOptions } from './postgres/postgres-event-store.adapter';
export type { EventStoreDbEventStore, EventStoreDbOptions } from './eventstoredb/eventstoredb-event-store.adapter';
