import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Makes a SQLite database file readable by its owner only before SQLite opens it (its -wal
 * and -shm files take the database file's mode), in a directory made owner-only too: the
 * events and the read models hold who negotiates with whom and when. Existing files and
 * directories keep their modes.
 */
export function createOwnerOnly(file: string): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  closeSync(openSync(file, 'a', 0o600));
}
