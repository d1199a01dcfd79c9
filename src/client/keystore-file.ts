/** The keystore on disk (Node only): mode 0600, written atomically, never in clear. */
import { closeSync, fsyncSync, linkSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname, join, basename } from 'node:path';
import { randomBytes } from 'node:crypto';
import { contentsOf, Keys, KeystoreContents, openKeystoreDocument, sealKeystore, withPublicHalves } from './keystore';
import { KeystoreError } from './errors';

export function readKeystore(path: string, passphrase: string): Keys {
  return readKeystoreFile(path, passphrase).keys;
}

/** As readKeystore, with the scrypt cost the file was sealed with (so that re-sealing it never lowers it). */
export function readKeystoreFile(path: string, passphrase: string): { keys: Keys; scryptN: number } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new KeystoreError(`cannot read keystore ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return openKeystoreDocument(text, passphrase);
}

/**
 * Seals and writes atomically: a temporary file beside the target (created 0600, never
 * readable by others even for a moment), flushed, then renamed over the target (or
 * linked to it, when it must not exist yet).
 * `overwrite: false` refuses to replace an existing keystore (keys would be lost).
 */
export function writeKeystore(path: string, contents: KeystoreContents | Keys, passphrase: string, options: { overwrite: boolean; scryptN?: number }): Keys {
  const plain = 'identity' in contents ? contentsOf(contents) : contents;
  const doc = sealKeystore(plain, passphrase, options.scryptN);
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const fd = openSync(tmp, 'wx', 0o600);
    try {
      writeSync(fd, JSON.stringify(doc, null, 2) + '\n');
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    try {
      // A link never replaces an existing file (create-only); a rename atomically does.
      if (options.overwrite) renameSync(tmp, path);
      else linkSync(tmp, path);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new KeystoreError(code === 'EEXIST' ? `${path} exists already; not overwriting a keystore` : `cannot write ${path}: ${code ?? err}`);
    }
    syncDirectory(dir); // the new name itself survives a power loss
  } finally {
    rmSync(tmp, { force: true }); // gone after a rename; the extra name after a link; a failed write's leftovers
  }
  return withPublicHalves(plain);
}

function syncDirectory(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
