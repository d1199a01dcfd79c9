/** The keystore on disk (Node only): mode 0600, written atomically, never in clear. */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { dirname, join, basename } from 'node:path';
import { randomBytes } from 'node:crypto';
import { contentsOf, Keys, KeystoreContents, openKeystore, sealKeystore, withPublicHalves } from './keystore';
import { KeystoreError } from './errors';

export function readKeystore(path: string, passphrase: string): Keys {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new KeystoreError(`cannot read keystore ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return openKeystore(text, passphrase);
}

/**
 * Seals and writes atomically: a temporary file beside the target (created 0600, never
 * readable by others even for a moment), flushed, then renamed over the target.
 * `overwrite: false` refuses to replace an existing keystore (keys would be lost).
 */
export function writeKeystore(path: string, contents: KeystoreContents | Keys, passphrase: string, options: { overwrite: boolean; scryptN?: number }): Keys {
  const plain = 'identity' in contents ? contentsOf(contents) : contents;
  const doc = sealKeystore(plain, passphrase, options.scryptN);
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, JSON.stringify(doc, null, 2) + '\n');
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    if (!options.overwrite) {
      // A hard-link-free "create only": open the target exclusively first.
      closeSync(openSync(path, 'wx', 0o600));
    }
    renameSync(tmp, path);
  } catch (err) {
    unlinkSync(tmp);
    const code = (err as NodeJS.ErrnoException).code;
    throw new KeystoreError(code === 'EEXIST' ? `${path} exists already; not overwriting a keystore` : `cannot write ${path}: ${code ?? err}`);
  }
  return withPublicHalves(plain);
}
