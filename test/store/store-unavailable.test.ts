/**
 * isStoreUnavailable against errors the real drivers raise: a store out of reach (503, retry)
 * is told apart from a store that answered and refused (a bug or bad input: 500 or 4xx).
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { Client } from 'pg';
import { isStoreUnavailable } from '../../src/store/store-unavailable';
import { EventStoreClosedError, EventStoreUnavailableError } from '../../src/store/event-store.errors';
import { SqliteEventStore } from '../../src/store/sqlite/sqlite-event-store.adapter';
import { freePort } from '../service/service-harness';
import { POSTGRES_URL, tempDir } from './store-test-kit';

async function pgError(connectionString: string, sql = 'SELECT 1'): Promise<unknown> {
  const client = new Client({ connectionString, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query(sql);
  } catch (err) {
    return err;
  } finally {
    await client.end().catch(() => undefined);
  }
  throw new Error(`${sql} succeeded`);
}

/** The error SQLite raises for `sql` on `db` (fails if the statement succeeds). */
function sqliteError(db: Database.Database, sql: string): unknown {
  try {
    db.exec(sql);
  } catch (err) {
    return err;
  }
  throw new Error(`${sql} succeeded`);
}

describe('isStoreUnavailable', () => {
  const dir = tempDir('parley-unavailable-');
  afterAll(() => dir.remove());

  it('given a PostgreSQL server that refuses the connection, then unavailable', async () => {
    const url = new URL(POSTGRES_URL);
    url.port = String(await freePort());
    expect(isStoreUnavailable(await pgError(url.href))).toBe(true);
  });

  it('given a PostgreSQL session ended by the server (admin shutdown, 57P01), then unavailable', async () => {
    const victim = new Client({ connectionString: POSTGRES_URL });
    await victim.connect();
    victim.on('error', () => {}); // the termination also arrives as an 'error' event
    const { rows } = await victim.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    const admin = new Client({ connectionString: POSTGRES_URL });
    await admin.connect();
    await admin.query('SELECT pg_terminate_backend($1)', [rows[0].pid]);
    await admin.end();
    const error = await victim.query('SELECT 1').then(
      () => new Error('the query succeeded'),
      (err: unknown) => err,
    );
    await victim.end().catch(() => undefined);
    expect(isStoreUnavailable(error)).toBe(true);
  });

  it('given PostgreSQL refusing a statement (a syntax error), then not unavailable', async () => {
    const error = await pgError(POSTGRES_URL, 'SELEC 1');
    expect((error as { code?: string }).code).toBe('42601');
    expect(isStoreUnavailable(error)).toBe(false);
  });

  it('given an SQLite file locked by another writer beyond the busy timeout, then unavailable', () => {
    const file = join(dir.path, 'locked.sqlite');
    const holder = new Database(file);
    const other = new Database(file, { timeout: 0 });
    try {
      holder.exec('CREATE TABLE t (x); BEGIN EXCLUSIVE');
      const error = sqliteError(other, 'INSERT INTO t VALUES (1)');
      expect((error as { code?: string }).code).toBe('SQLITE_BUSY');
      expect(isStoreUnavailable(error)).toBe(true);
    } finally {
      other.close();
      holder.close();
    }
  });

  it('given SQLite refusing a statement (a constraint), then not unavailable', () => {
    const db = new Database(join(dir.path, 'constraint.sqlite'));
    try {
      db.exec('CREATE TABLE t (x UNIQUE); INSERT INTO t VALUES (1)');
      const error = sqliteError(db, 'INSERT INTO t VALUES (1)');
      expect((error as { code?: string }).code).toBe('SQLITE_CONSTRAINT_UNIQUE');
      expect(isStoreUnavailable(error)).toBe(false);
    } finally {
      db.close();
    }
  });

  it('given a store closed under a call (the process shutting down), then unavailable: the client retries, as elsewhere', async () => {
    const store = SqliteEventStore.open({ file: join(dir.path, 'closed.sqlite') });
    await store.close();
    const err = await store.streamHead('s').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EventStoreClosedError);
    expect(isStoreUnavailable(err)).toBe(true);
  });

  it('given the port error EventStoreUnavailableError, then unavailable; given any other error or a non-error, then not', () => {
    expect(isStoreUnavailable(new EventStoreUnavailableError('down'))).toBe(true);
    expect(isStoreUnavailable(new Error('boom'))).toBe(false);
    expect(isStoreUnavailable('ECONNREFUSED')).toBe(false);
    expect(isStoreUnavailable(undefined)).toBe(false);
  });
});
