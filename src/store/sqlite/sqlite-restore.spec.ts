import Database from 'better-sqlite3';
import { chownSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { backupSqliteStore } from './sqlite-backup';
import { SqliteEventStore } from './sqlite-event-store.adapter';
import { restoreSqliteStore } from './sqlite-restore';

describe('restoreSqliteStore', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'parley-restore-spec-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const event = (n: number) => ({ id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`, type: 'MessagePosted', data: `{"n":${n}}` });
  const AT = new Date('2026-11-30T05:06:07.890Z');
  const store = () => join(dir, 'parley.sqlite');
  const dataOf = (file: string) => {
    const db = new Database(file, { readonly: true, fileMustExist: true });
    try {
      return (db.prepare('SELECT data FROM events ORDER BY position').all() as { data: string }[]).map((r) => r.data);
    } finally {
      db.close();
    }
  };

  /** A backup holding events 1 and 2. */
  async function backupOfTwo(): Promise<string> {
    const source = join(dir, 'source.sqlite');
    const s = SqliteEventStore.open({ file: source });
    await s.append('parley-channel-a', [event(1), event(2)], 'no_stream');
    await s.close();
    await backupSqliteStore(source, join(dir, 'backup.sqlite'));
    return join(dir, 'backup.sqlite');
  }

  /**
   * The files a store killed mid-run leaves: its last commits only in `-wal`, taken while it was
   * open (events 7, 8, 9 here).
   */
  async function crashedStore(): Promise<void> {
    const live = join(dir, 'live.sqlite');
    const s = SqliteEventStore.open({ file: live });
    try {
      await s.append('parley-channel-b', [event(7), event(8), event(9)], 'no_stream');
      for (const suffix of ['', '-wal', '-shm']) copyFileSync(live + suffix, store() + suffix);
    } finally {
      await s.close();
    }
    expect(readFileSync(store() + '-wal').length).toBeGreaterThan(0);
  }

  it('given a store that left a -wal, when a backup is restored, then the store is the backup alone and the old one is kept whole beside it', async () => {
    const backup = await backupOfTwo();
    await crashedStore();

    const result = await restoreSqliteStore(backup, store(), AT);

    const replaced = join(dir, 'parley.sqlite.replaced-20261130T050607Z');
    expect(result).toMatchObject({ file: store(), events: 2, lastPosition: 2, replaced });
    // Opened as a service opens it: the old -wal was not replayed into the restored file.
    const reopened = SqliteEventStore.open({ file: store() });
    await reopened.close();
    expect(dataOf(store())).toEqual(['{"n":1}', '{"n":2}']);
    // The old store, its -wal with it, still opens with every event it had committed.
    expect(dataOf(replaced)).toEqual(['{"n":7}', '{"n":8}', '{"n":9}']);
    expect(readdirSync(dir).filter((f) => f.includes('restoring') || f.includes('partial'))).toEqual([]);
  });

  it('given no store yet, when a backup is restored, then it becomes the store and nothing is replaced', async () => {
    const backup = await backupOfTwo();
    expect(await restoreSqliteStore(backup, store(), AT)).toMatchObject({ file: store(), events: 2, replaced: null });
    expect(dataOf(store())).toEqual(['{"n":1}', '{"n":2}']);
  });

  it('given a store open in another connection (a running service), then it refuses and changes nothing', async () => {
    const backup = await backupOfTwo();
    const running = SqliteEventStore.open({ file: store() });
    try {
      await running.append('parley-channel-b', [event(7)], 'no_stream');
      await expect(restoreSqliteStore(backup, store(), AT)).rejects.toThrow(/is open in another process \(a service running on it\?\); stop it, then restore/);
      await running.append('parley-channel-b', [event(8)], 0);
    } finally {
      await running.close();
    }
    expect(dataOf(store())).toEqual(['{"n":7}', '{"n":8}']);
    expect(readdirSync(dir).filter((f) => /restoring|replaced|partial/.test(f))).toEqual([]);
  });

  it('given no backup, or a file that is not a Parley store, then it refuses and the store is untouched', async () => {
    await crashedStore();
    const before = readdirSync(dir).sort();
    await expect(restoreSqliteStore(join(dir, 'missing.sqlite'), store(), AT)).rejects.toThrow(/no backup at/);
    writeFileSync(join(dir, 'notes.txt'), 'not a database at all\n'.repeat(100));
    await expect(restoreSqliteStore(join(dir, 'notes.txt'), store(), AT)).rejects.toThrow(/not a Parley store/);
    expect(readdirSync(dir).sort()).toEqual(before.concat('notes.txt').sort());
    expect(existsSync(store() + '-wal')).toBe(true);
  });

  it('given a store it cannot probe, then it refuses: "cannot tell" is not "not in use"', async () => {
    const backup = await backupOfTwo();
    mkdirSync(store()); // opens as no database file at all (SQLITE_CANTOPEN), as a file of another user would
    await expect(restoreSqliteStore(backup, store(), AT)).rejects.toThrow(/^cannot tell whether .*parley\.sqlite is in use \(SQLITE_CANTOPEN\); nothing was changed$/);
    expect(readdirSync(dir).filter((f) => /restoring|replaced/.test(f))).toEqual([]);
  });

  it('given no data directory, or a directory for a backup, then it says so', async () => {
    const backup = await backupOfTwo();
    await expect(restoreSqliteStore(backup, join(dir, 'nowhere', 'parley.sqlite'), AT)).rejects.toThrow(/^no data directory at .*nowhere$/);
    await expect(restoreSqliteStore(dir, store(), AT)).rejects.toThrow(/is not a file$/);
  });

  it('given a store reached through a symbolic link, then the restored store is where the link points', async () => {
    const backup = await backupOfTwo();
    const volume = join(dir, 'volume');
    mkdirSync(volume);
    await crashedStore();
    for (const suffix of ['', '-wal', '-shm']) copyFileSync(store() + suffix, join(volume, 'parley.sqlite' + suffix));
    for (const suffix of ['', '-wal', '-shm']) rmSync(store() + suffix);
    symlinkSync(join(volume, 'parley.sqlite'), store());
    const result = await restoreSqliteStore(backup, store(), AT);
    expect(result).toMatchObject({ file: join(volume, 'parley.sqlite'), replaced: join(volume, 'parley.sqlite.replaced-20261130T050607Z') });
    expect(dataOf(store())).toEqual(['{"n":1}', '{"n":2}']);
    expect(dataOf(result.replaced!)).toEqual(['{"n":7}', '{"n":8}', '{"n":9}']);
  });

  it('given a store of another user, then the restored store is theirs (run as root) or restore refuses (run as anyone else)', async () => {
    const backup = await backupOfTwo();
    await crashedStore();
    if (process.getuid!() !== 0) {
      // Not root: a file of another user cannot be made here, but the system's temporary directory is root's.
      const inRootsDir = join(tmpdir(), `parley-restore-spec-${process.pid}.sqlite`);
      await expect(restoreSqliteStore(backup, inRootsDir, AT)).rejects.toThrow(/belongs to uid 0: run restore as that user \(the service's\), or as root$/);
      return expect(existsSync(inRootsDir)).toBe(false);
    }
    const other = 65534;
    chownSync(store(), other, other);
    await restoreSqliteStore(backup, store(), AT);
    expect(statSync(store())).toMatchObject({ uid: other, gid: other });
    expect(statSync(store()).mode & 0o777).toBe(0o600);
  });
});
