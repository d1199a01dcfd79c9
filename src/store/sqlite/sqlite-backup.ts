/**
 * Online backup of the SQLite store with SQLite's backup API (better-sqlite3 `db.backup`):
 * it copies a consistent snapshot page by page while the server keeps appending (WAL lets
 * readers and the one writer run together), so no downtime is needed. The copy is written
 * under a temporary name and given the destination's name only once it is complete and
 * passes `PRAGMA integrity_check` (publishNewFile), so a file there is always a whole backup.
 */
import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync, rmSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { publishNewFile } from '../../common/publish-new-file';

export interface SqliteBackupResult {
  file: string;
  events: number;
  bytes: number;
  /** Position (rowid) of the last event in the copy, or null for an empty store. */
  lastPosition: number | null;
}

export class SqliteBackupError extends Error {}

/** Whether `path` is a directory; false also when it cannot be (a file on the way: ENOTDIR). Other errors (EACCES, …) are thrown as they are. */
function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return false;
    throw err;
  }
}

const ALL_PAGES = 0x7fffffff;

export async function backupSqliteStore(source: string, destination: string): Promise<SqliteBackupResult> {
  if (!existsSync(source)) throw new SqliteBackupError(`no store at ${source}`);
  if (existsSync(destination)) throw new SqliteBackupError(`${destination} exists already; a backup never overwrites`);
  // Said of the directory given, not of the temporary file that would fail in it.
  const into = dirname(destination);
  if (!isDirectory(into)) throw new SqliteBackupError(`${into} is not a directory: the backup goes into an existing one`);
  // The pid says whose it is; the random part keeps a copy left by a killed run of the same pid (containers) from blocking this one.
  const partial = `${destination}.partial-${process.pid}-${randomBytes(4).toString('hex')}`;
  // Read-only: the backup can never write to the live store (a WAL reader still shares the server's -shm index).
  const db = new Database(source, { readonly: true, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    if (!hasEventsTable(db, source)) throw new SqliteBackupError(`${source} is not a Parley store (no events table)`);
    // All pages in one step, inside one read transaction: with the default 100 pages per
    // step, every commit the server makes meanwhile restarts the copy, and a store under
    // steady appends might never finish. In WAL mode this reader does not block the writer.
    closeSync(openSync(partial, 'wx', 0o600)); // owner only, as the store itself
    await db.backup(partial, { progress: () => ALL_PAGES });
  } catch (err) {
    rmSync(partial, { force: true });
    throw err;
  } finally {
    db.close();
  }
  try {
    const summary = checkCopy(partial);
    // Published without replacing whatever appeared at the destination during the copy; the
    // partial name is removed below either way.
    try {
      publishNewFile(partial, destination);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new SqliteBackupError(`${destination} appeared during the copy; a backup never overwrites`);
      throw err;
    }
    return { file: destination, ...summary };
  } finally {
    rmSync(partial, { force: true });
  }
}

function hasEventsTable(db: Database.Database, source: string): boolean {
  try {
    return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'events'").get() !== undefined;
  } catch (err) {
    // SQLite opens any file lazily: the first read says whether it is a database at all.
    if ((err as { code?: string }).code === 'SQLITE_NOTADB') throw new SqliteBackupError(`${source} is not a Parley store (not an SQLite database)`);
    throw err;
  }
}

function checkCopy(file: string): Omit<SqliteBackupResult, 'file'> {
  const copy = new Database(file, { fileMustExist: true });
  try {
    // The copy is a single file: fold any WAL frames in and leave it in rollback mode until opened by a server.
    copy.pragma('journal_mode = DELETE');
    const verdict = copy.pragma('integrity_check', { simple: true });
    if (verdict !== 'ok') throw new SqliteBackupError(`the copy fails integrity_check: ${String(verdict)}`);
    const row = copy.prepare('SELECT COUNT(*) AS events, MAX(position) AS last FROM events').get() as { events: number; last: number | null };
    const pages = copy.pragma('page_count', { simple: true }) as number;
    const size = copy.pragma('page_size', { simple: true }) as number;
    return { events: row.events, lastPosition: row.last, bytes: pages * size };
  } finally {
    copy.close();
  }
}
