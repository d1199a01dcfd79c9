/**
 * The PostgreSQL store's migration and lock keys. Everything lives in one schema (default
 * `parley`) so that several deployments — or parallel test files — share a database
 * without seeing each other.
 */
import { createHash } from 'node:crypto';
import { EventStoreConfigError } from '../event-store.errors';

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,47}$/;

export function checkSchemaName(schema: string): string {
  if (!SCHEMA_NAME.test(schema)) {
    throw new EventStoreConfigError(
      `PostgreSQL schema name must match ${SCHEMA_NAME.source} (lower case, at most 48 characters), got ${JSON.stringify(schema)}`,
    );
  }
  return schema;
}

/** Idempotent: run at every start, by every instance (serialised by the migration lock). */
export function migrationSql(schema: string): string {
  const s = `"${checkSchemaName(schema)}"`;
  return `
CREATE SCHEMA IF NOT EXISTS ${s};
CREATE TABLE IF NOT EXISTS ${s}.events (
  position   bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  stream     text        NOT NULL,
  revision   bigint      NOT NULL,
  id         text        NOT NULL,
  type       text        NOT NULL,
  data       text        NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (stream, revision),
  UNIQUE (stream, id)
);
CREATE TABLE IF NOT EXISTS ${s}.used_nonces (
  keyid      text   NOT NULL,
  nonce      text   NOT NULL,
  expires_at bigint NOT NULL,
  PRIMARY KEY (keyid, nonce)
);
CREATE INDEX IF NOT EXISTS used_nonces_expiry ON ${s}.used_nonces (expires_at);
`;
}

/** Two-key advisory locks: the first key says what for, the second which schema. */
export const LOCK_CLASS = { append: 0x70617231, migrate: 0x70617232 } as const;

/** A stable signed 32-bit key for the schema (for pg_advisory_xact_lock(int, int)). */
export function schemaLockKey(schema: string): number {
  return createHash('sha256').update(schema).digest().readInt32BE(0);
}

/** The LISTEN/NOTIFY channel announcing commits to the schema's events (≤ 63 bytes). */
export function notifyChannel(schema: string): string {
  return `parley_events_${schema}`;
}
