import Database from 'better-sqlite3';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { backupSqliteStore, SqliteBackupError } from './sqlite-backup';
import { SqliteEventStore } from './sqlite-event-store.adapter';

describe('backupSqliteStore', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'parley-backup-spec-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const event = (n: number) => ({ id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`, type: 'MessagePosted', data: `{"n":${n}}` });

  it('given a store in use with events, when backed up, then the copy holds every event byte for byte and nothing else is left', async () => {
    const store = SqliteEventStore.open({ file: join(dir, 'parley.sqlite') });
    try {
      await store.append('parley-channel-a', [event(1), event(2)], 'no_stream');
      await store.append('parley-channel-b', [event(3)], 'no_stream');
      const result = await backupSqliteStore(join(dir, 'parley.sqlite'), join(dir, 'copy.sqlite'));
      expect(result).toMatchObject({ file: join(dir, 'copy.sqlite'), events: 3, lastPosition: 3 });

      const copy = new Database(join(dir, 'copy.sqlite'), { readonly: true });
      expect(copy.prepare('SELECT data FROM events ORDER BY position').all()).toEqual([{ data: '{"n":1}' }, { data: '{"n":2}' }, { data: '{"n":3}' }]);
      copy.close();
      // The source is still usable by its owner.
      await store.append('parley-channel-a', [event(4)], 1);
    } finally {
      await store.close();
    }
    expect(readdirSync(dir).filter((f) => f.includes('partial'))).toEqual([]);
  });

  it('when the destination exists, then it refuses and leaves that file alone', async () => {
    await SqliteEventStore.open({ file: join(dir, 'parley.sqlite') }).close();
    writeFileSync(join(dir, 'old.sqlite'), 'an older backup');
    await expect(backupSqliteStore(join(dir, 'parley.sqlite'), join(dir, 'old.sqlite'))).rejects.toThrow(SqliteBackupError);
    expect(readdirSync(dir).filter((f) => f.startsWith('old'))).toEqual(['old.sqlite']);
  });

  it('when the destination is in a directory that does not exist, then it names that directory, not a temporary file', async () => {
    await SqliteEventStore.open({ file: join(dir, 'parley.sqlite') }).close();
    const refused = backupSqliteStore(join(dir, 'parley.sqlite'), join(dir, 'nowhere', 'x.sqlite'));
    await expect(refused).rejects.toThrow(SqliteBackupError);
    await expect(refused).rejects.toThrow(`${join(dir, 'nowhere')} is not a directory: the backup goes into an existing one`);
    // A file on the way (ENOTDIR, not ENOENT) is the same refusal.
    const underFile = backupSqliteStore(join(dir, 'parley.sqlite'), join(dir, 'parley.sqlite', 'sub', 'x.sqlite'));
    await expect(underFile).rejects.toThrow(`${join(dir, 'parley.sqlite', 'sub')} is not a directory`);
  });

  it('when there is no store, or a database without the events table, then it refuses and writes nothing', async () => {
    await expect(backupSqliteStore(join(dir, 'missing.sqlite'), join(dir, 'a.sqlite'))).rejects.toThrow(/no store at/);
    const other = new Database(join(dir, 'other.sqlite'));
    other.exec('CREATE TABLE t (x)');
    other.close();
    await expect(backupSqliteStore(join(dir, 'other.sqlite'), join(dir, 'b.sqlite'))).rejects.toThrow(/not a Parley store \(no events table\)/);
    writeFileSync(join(dir, 'notes.txt'), 'not a database at all, just text\n'.repeat(100));
    const notDb = backupSqliteStore(join(dir, 'notes.txt'), join(dir, 'c.sqlite'));
    await expect(notDb).rejects.toThrow(SqliteBackupError);
    await expect(notDb).rejects.toThrow(/not a Parley store \(not an SQLite database\)/);
    expect(existsSync(join(dir, 'a.sqlite')) || existsSync(join(dir, 'b.sqlite')) || existsSync(join(dir, 'c.sqlite'))).toBe(false);
    expect(readdirSync(dir).filter((f) => f.includes('partial'))).toEqual([]);
  });
});
