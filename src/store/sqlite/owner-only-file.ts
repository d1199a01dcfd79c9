import { chmodSync, closeSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Makes a SQLite database file readable by its owner only before SQLite opens it (its -wal
 * and -shm files take the database file's mode), in a directory made owner-only if this
 * creates it: the events and the read models hold who negotiates with whom and when. A file
 * left readable by others (by an earlier version, or by hand) is narrowed back, with its
 * -wal and -shm; an existing directory keeps its mode (it may be shared, as a data volume).
 */
export function createOwnerOnly(file: string): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  closeSync(openSync(file, 'a', 0o600));
  for (const path of [file, `${file}-wal`, `${file}-shm`]) {
    try {
      if ((statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
}
