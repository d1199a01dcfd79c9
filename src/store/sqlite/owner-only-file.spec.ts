import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createOwnerOnly } from './owner-only-file';

describe('createOwnerOnly', () => {
  const old = process.umask(0o022); // the usual umask, which would leave new files readable by all
  const dir = mkdtempSync(join(tmpdir(), 'owner-only-'));
  afterAll(() => {
    process.umask(old);
    rmSync(dir, { recursive: true, force: true });
  });

  it('given a umask that lets others read, when a database file is made in a new directory, then both are its owner’s only', () => {
    const file = join(dir, 'data', 'read-models.sqlite');
    createOwnerOnly(file);
    expect(statSync(join(dir, 'data')).mode & 0o777).toBe(0o700);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('given a file and its WAL left readable by others (an earlier version), then they are narrowed back; the directory, existing, keeps its mode', () => {
    const file = join(dir, 'old', 'read-models.sqlite');
    mkdirSync(join(dir, 'old'), { mode: 0o755 });
    writeFileSync(file, '', { mode: 0o644 });
    writeFileSync(`${file}-wal`, '', { mode: 0o644 });
    createOwnerOnly(file);
    expect([file, `${file}-wal`].map((f) => statSync(f).mode & 0o777)).toEqual([0o600, 0o600]);
    expect(statSync(join(dir, 'old')).mode & 0o777).toBe(0o755);
  });
});
