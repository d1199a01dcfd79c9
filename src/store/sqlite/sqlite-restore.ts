/**
 * Restores a backup of the SQLite store (`parley backup`) as the store a service will open.
 * By hand this was three steps, one of them easy to forget and silently fatal: a `-wal` left
 * beside the restored file from the old store is replayed into it by SQLite on open, and the
 * service serves the old store again. Here:
 *
 * 1. the backup is copied beside the store and checked exactly as a backup is (backupSqliteStore:
 *    a Parley store, integrity_check, owner-only), so a bad backup changes nothing; the copy
 *    gets the owner of the store it replaces (run as root) or restore refuses to make a store
 *    the service's user could not open;
 * 2. a store still open in any process (a service running on it) is refused: SQLite denies an
 *    exclusive lock while another connection has the file open. A store it cannot probe (no
 *    permission, say) is refused too: "cannot tell" is not "not in use";
 * 3. the store it replaces is not deleted: its files (database, `-wal`, `-shm`) are given the
 *    names `<file>.replaced-<UTC time>…` together, a store SQLite still opens whole, and its
 *    `-wal` and `-shm` leave the store's name before the copy takes it;
 * 4. the checked copy takes the store's name by rename(2), atomically: a service starting from
 *    then on opens the restored store.
 */
import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, lstatSync, realpathSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { publishNewFile } from '../../common/publish-new-file';
import { backupSqliteStore, SqliteBackupError, type SqliteBackupResult } from './sqlite-backup';

export interface SqliteRestoreResult extends SqliteBackupResult {
  /** The replaced store's database file under its new name (its -wal and -shm beside it, if it had them), or null when there was none. */
  replaced: string | null;
}

export async function restoreSqliteStore(backup: string, storePath: string, now: Date = new Date()): Promise<SqliteRestoreResult> {
  if (!existsSync(backup)) throw new SqliteBackupError(`no backup at ${backup}`);
  if (!statSync(backup).isFile()) throw new SqliteBackupError(`${backup} is not a file`);
  // A store reached through a symbolic link is restored where the link points, on that volume.
  const store = existsSync(storePath) ? realpathSync(storePath) : storePath;
  if (!existsSync(dirname(store))) throw new SqliteBackupError(`no data directory at ${dirname(store)}`);
  const owner = ownerFor(store);
  const incoming = `${store}.restoring-${process.pid}-${randomBytes(4).toString('hex')}`; // as backup's partial copy
  const copied = await backupSqliteStore(backup, incoming);
  try {
    if (owner) chownSync(incoming, owner.uid, owner.gid);
    const probe = existsSync(store) ? probeUse(store) : 'free';
    if (probe !== 'free') throw new SqliteBackupError(probe);
    const replaced = setAside(store, `${store}.replaced-${now.toISOString().replace(/[-:]|\.\d+/g, '')}`);
    try {
      renameSync(incoming, store);
    } catch (err) {
      throw new Error(`${(err as Error).message}${replaced ? ` (the store it was to replace is now ${replaced}, with its -wal and -shm)` : ''}`);
    }
    return { ...copied, file: store, replaced };
  } finally {
    rmSync(incoming, { force: true });
  }
}

/**
 * Whom the restored file must belong to: the replaced store's owner, else the data
 * directory's. Root gives it to them (null when that is root itself); anyone else must be
 * them, or the service, running as them, could not open a file of mode 0600.
 */
function ownerFor(store: string): { uid: number; gid: number } | null {
  const owned = existsSync(store) ? store : dirname(store);
  const { uid, gid } = statSync(owned);
  const me = process.getuid?.();
  if (me === undefined || uid === me) return null;
  if (me === 0) return { uid, gid };
  throw new SqliteBackupError(`${owned} belongs to uid ${uid}: run restore as that user (the service's), or as root`);
}

/**
 * 'free' when no other connection, in any process, has the database open: only then does an
 * exclusive lock succeed (SQLITE_BUSY at once otherwise, no waiting). Else why not. A file
 * SQLite cannot read as a database at all is not open as one.
 */
function probeUse(file: string): 'free' | string {
  let db: Database.Database | undefined;
  try {
    db = new Database(file, { fileMustExist: true, timeout: 0 });
    // Set before the first read: the lock is then taken on the file itself, not through the -shm index.
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec('BEGIN EXCLUSIVE');
    db.exec('COMMIT');
    return 'free';
  } catch (err) {
    const code = (err as { code?: string }).code ?? '';
    if (code === 'SQLITE_NOTADB') return 'free';
    if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
      return `${file} is open in another process (a service running on it?); stop it, then restore`;
    }
    return `cannot tell whether ${file} is in use (${code || (err as Error).message}); nothing was changed`;
  } finally {
    db?.close();
  }
}

/**
 * Gives `<store>`, `<store>-wal` and `<store>-shm`, those that exist, the names `<to>…`; the
 * database keeps its own name too (a hard link, where the filesystem has them), so that it
 * never goes missing before the restored copy replaces it. Returns the database's new name, or null.
 */
function setAside(store: string, to: string): string | null {
  const present = (['', '-wal', '-shm'] as const).filter((suffix) => exists(store + suffix));
  if (present.length === 0) return null;
  for (const suffix of present) {
    if (exists(to + suffix)) throw new SqliteBackupError(`${to + suffix} exists already`);
  }
  for (const suffix of present) {
    if (suffix !== '') renameSync(store + suffix, to + suffix);
  }
  // A hard link, or where the filesystem has none a rename (the name is then free for a moment).
  if (present.includes('')) publishNewFile(store, to);
  return to;
}

/** Whether a file (or a dangling link) is there. */
function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}
