import { mkdtempSync, rmSync, statSync } from 'node:fs';
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
});
