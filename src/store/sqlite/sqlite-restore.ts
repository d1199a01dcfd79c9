/**
 * Restores a backup of the SQLite store (`parley backup`) as the store a service will open.
 * By hand this was three steps, one of them easy to forget and silently fatal: a `-wal` left
 * beside the restored file from the old store is replayed into it by SQLite on open, undoing
 * the restore or mixing pages of two stores. Here:
 *
 * 1. the backup is copied beside the store and checked exactly as a backup is (backupSqliteStore:
 *    a Parley store, integrity_check, owner-only), so a bad backup changes nothing;
 * 2. a store still open in any process (a service running on it) is refused: SQLite denies an
 *    exclusive lock while another connection has the file open;
 * 3. the store it replaces is not deleted: its files (database, `-wal`, `-shm`) are renamed
 *    together to `<file>.replaced-<UTC time>`, a store SQLite still opens whole;
 * 4. the checked copy takes the store's name (never replacing a file that appeared meanwhile).
 */
import Database from 'better-sqlite3';
import { existsSync, renameSync, rmSync } from 'node:fs';
import { publishNewFile } from '../../common/publish-new-file';
import { backupSqliteStore, SqliteBackupError, type SqliteBackupResult } from './sqlite-backup';

/** The files SQLite keeps for a database in WAL mode, by suffix. */
const STORE_FILE_SUFFIXES = ['', '-wal', '-shm'] as const;

export interface SqliteRestoreResult extends SqliteBackupResult {
  /** The replaced store's database file, renamed (its -wal and -shm beside it, if it had them), or null when there was none. */
  replaced: string | null;
}

export async function restoreSqliteStore(backup: string, store: string, now: Date = new Date()): Promise<SqliteRestoreResult> {
  if (!existsSync(backup)) throw new SqliteBackupError(`no backup at ${backup}`);
  const incoming = `${store}.restoring-${process.pid}`;
  const copied = await backupSqliteStore(backup, incoming);
  try {
    if (existsSync(store) && inUse(store)) {
      throw new SqliteBackupError(`${store} is open in another process (a service running on it?); stop it, then restore`);
    }
    const replaced = moveAside(store, `${store}.replaced-${now.toISOString().replace(/[-:]|\.\d+/g, '')}`);
    try {
      publishNewFile(incoming, store);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new SqliteBackupError(`${store} appeared during the restore; nothing was replaced by it`);
      throw err;
    }
    return { ...copied, file: store, replaced };
  } finally {
    rmSync(incoming, { force: true });
  }
}

/**
 * Whether another connection, in any process, has the database open: an exclusive lock is
 * refused then (SQLITE_BUSY at once, no waiting). A file SQLite cannot read as a database is
 * not in use as one.
 */
function inUse(file: string): boolean {
  let db: Database.Database | undefined;
  try {
    db = new Database(file, { fileMustExist: true, timeout: 0 });
    // Set before the first read: the lock is then taken on the file itself, not through the -shm index.
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec('BEGIN EXCLUSIVE');
    db.exec('COMMIT');
    return false;
  } catch (err) {
    const code = (err as { code?: string }).code ?? '';
    if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) return true;
    return false;
  } finally {
    db?.close();
  }
}

/** Renames `<store>`, `<store>-wal` and `<store>-shm`, those that exist, to `<to>…`; returns the database's new name, or null. */
function moveAside(store: string, to: string): string | null {
  const present = STORE_FILE_SUFFIXES.filter((suffix) => existsSync(store + suffix));
  if (present.length === 0) return null;
  for (const suffix of present) {
    if (existsSync(to + suffix)) throw new SqliteBackupError(`${to + suffix} exists already`);
  }
  for (const suffix of present) renameSync(store + suffix, to + suffix);
  return to;
}
