/**
 * The PostgreSQL store's migration and lock keys. Everything lives in one schema (default
 * `parley`) so that several deployments — or parallel test files — share a database
 * without seeing each other.
 */
import { createHash } from 'node:crypto';
import { EventStoreConfigError } from '../event-store.errors';

export const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,47}$/;

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
${appendFunctionSql(s)}`;
}

/**
 * The append fast path, one round trip in autocommit: takes the append lock, then (each
 * statement of a VOLATILE function sees what committed before it started, so after the
 * lock) confirms that every stream's head is the one assumed and that none of the ids is
 * stored, and only then inserts and notifies. Returns the written rows, or none when an
 * assumption did not hold: the caller then plans the batch against a real snapshot.
 */
function appendFunctionSql(s: string): string {
  return `
CREATE OR REPLACE FUNCTION ${s}.append_if_heads(
  lock_class int, lock_key int, notify_channel text,
  head_streams text[], head_revisions bigint[],
  streams text[], revisions bigint[], ids text[], types text[], datas text[])
RETURNS TABLE (w_stream text, w_revision bigint, w_position bigint)
LANGUAGE plpgsql VOLATILE
-- Planned with the real arrays every call: a cached generic plan guesses their length and,
-- as the table grows, may scan it instead of using the (stream, id) and (stream, revision) indexes.
SET plan_cache_mode = force_custom_plan
AS $fn$
BEGIN
  PERFORM pg_advisory_xact_lock(lock_class, lock_key);
  IF EXISTS (
       SELECT 1 FROM unnest(head_streams, head_revisions) AS h(stream, head)
        WHERE (SELECT max(e.revision) FROM ${s}.events e WHERE e.stream = h.stream) IS DISTINCT FROM h.head)
     OR EXISTS (
       SELECT 1 FROM unnest(streams, ids) AS n(stream, id)
         JOIN ${s}.events e ON e.stream = n.stream AND e.id = n.id) THEN
    RETURN;
  END IF;
  RETURN QUERY
    INSERT INTO ${s}.events AS ev (stream, revision, id, type, data)
    SELECT r.stream, r.revision, r.id, r.type, r.data
      FROM unnest(streams, revisions, ids, types, datas) WITH ORDINALITY AS r(stream, revision, id, type, data, ord)
     ORDER BY r.ord
    RETURNING ev.stream, ev.revision, ev.position;
  PERFORM pg_notify(notify_channel, '');
END
$fn$;
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
