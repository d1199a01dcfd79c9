import { existsSync, linkSync, renameSync } from 'node:fs';

/** What `link(2)` answers on filesystems without hard links (exFAT and FAT on USB drives, many SMB shares). */
const NO_HARD_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS']);

/**
 * Gives the complete file `from` the new name `to`, never replacing a file there: a hard link
 * fails with EEXIST if the name is taken, atomically. Where the filesystem has no hard links,
 * a rename after checking that the name is free (a file appearing between the two would be
 * replaced: the narrow window that filesystem leaves). `from` stays, for the caller to remove.
 * Throws the link's or rename's error; EEXIST when the name is taken.
 */
export function publishNewFile(from: string, to: string, link: (from: string, to: string) => void = linkSync): void {
  try {
    link(from, to);
  } catch (err) {
    if (!NO_HARD_LINKS.has((err as NodeJS.ErrnoException).code ?? '')) throw err;
    if (existsSync(to)) throw Object.assign(new Error(`EEXIST: file already exists, ${to}`), { code: 'EEXIST' });
    renameSync(from, to);
  }
}
