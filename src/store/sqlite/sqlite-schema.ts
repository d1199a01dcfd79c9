/**
 * The SQLite store's tables. `position` is the rowid: SQLite has one writer at a time and
 * events are never deleted, so rowids are handed out in commit order and a reader that has
 * seen position p will never later find a committed event below p.
 */
export const SQLITE_SCHEMA = `
CREATE TABLE IF NOT EXISTS events (
  position   INTEGER PRIMARY KEY,
  stream     TEXT    NOT NULL,
  revision   INTEGER NOT NULL,
  id         TEXT    NOT NULL,
  type       TEXT    NOT NULL,
  data       TEXT    NOT NULL,
  created_at INTEGER NOT NULL,
  UNIQUE (stream, revision),
  UNIQUE (stream, id)
);
CREATE TABLE IF NOT EXISTS used_nonces (
  keyid      TEXT    NOT NULL,
  nonce      TEXT    NOT NULL,
  expires_at INTEGER NOT NULL,
  PRIMARY KEY (keyid, nonce)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS used_nonces_expiry ON used_nonces (expires_at);
`;

export type SqliteSynchronous = 'FULL' | 'NORMAL';

/** Pragmas run on every connection, before the schema. */
export function sqlitePragmas(synchronous: SqliteSynchronous, busyTimeoutMs: number): string[] {
  return [
    'journal_mode = WAL',
    // FULL: the WAL is fsynced at every commit, so an acknowledged append survives power loss.
    `synchronous = ${synchronous}`,
    // Another process may hold the write lock for a moment; wait instead of failing.
    `busy_timeout = ${busyTimeoutMs}`,
    'foreign_keys = ON',
    // The WAL is reused after each checkpoint but never shrinks by itself: a burst (a rebuild,
    // a disk filled and freed) would leave it at its largest. Truncated to this past a checkpoint.
    'journal_size_limit = 67108864',
  ];
}
