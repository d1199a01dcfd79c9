/** The keystore on disk (Node only): mode 0600, written atomically, never in clear. */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname, join, basename } from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { lock } from 'proper-lockfile';
import { publishNewFile } from '../common/publish-new-file';
import { contentsOf, Keys, KeystoreContents, mergeKeystores, openKeystoreDocument, sealKeystore, SeenConflict, withPublicHalves } from './keystore';
import { KeystoreError } from './errors';

export function readKeystore(path: string, passphrase: string): Keys {
  return readKeystoreFile(path, passphrase).keys;
}

/**
 * As readKeystore, with the scrypt cost the file was sealed with (so that re-sealing it never
 * lowers it) and its version (a hash of its bytes: has another command saved it since?).
 */
export function readKeystoreFile(path: string, passphrase: string): { keys: Keys; scryptN: number; version: string } {
  const text = readText(path);
  return { ...openKeystoreDocument(text, passphrase), version: versionOf(text) };
}

/** A keystore file as opened, with its version. */
export interface OpenedKeystore {
  keys: Keys;
  version: string;
}

/** The keystore as now on disk if it is no longer the version given (another command saved it), else null. */
export function keystoreSavedSince(path: string, version: string, passphrase: string): OpenedKeystore | null {
  const text = readText(path);
  const now = versionOf(text);
  return now === version ? null : { keys: openKeystoreDocument(text, passphrase).keys, version: now };
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new KeystoreError(`cannot read keystore ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

function versionOf(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export interface SaveOptions {
  /** The version readKeystoreFile (or the last save) gave. */
  version: string;
  scryptN: number;
  /** Channels whose remembered event this command replaced on purpose (mergeKeystores). */
  replaced?: ReadonlySet<string>;
  /** The hash at a seq of a channel's log as this command verified it (mergeKeystores). */
  hashAt?: (channel: string, seq: number) => string | null | undefined;
  /** The file as this command already opened it (keystoreSavedSince): not opened again, each opening costing a scrypt derivation, if unchanged since. */
  opened?: OpenedKeystore | null;
  /**
   * Write nothing, and answer `behind`, if the file remembers an event past this command's
   * log of a channel (hashAt null): another command saved it after this one last read on, so
   * the caller reads on to it and saves again rather than reporting it as a fork.
   */
  unlessBehind?: boolean;
}

/**
 * Re-seals `keys` over the keystore a command read, under an inter-process lock
 * (`<path>.lock`, proper-lockfile): two commands on one keystore (a long `tail` and a
 * `message`, say) must not undo each other's saves. If another command saved since this one
 * read the file, the two are merged (mergeKeystores) rather than the later save winning.
 */
export async function saveKeystore(
  path: string,
  keys: Keys,
  passphrase: string,
  options: SaveOptions,
): Promise<{ version: string; conflicts: SeenConflict[]; behind?: true }> {
  let release: () => Promise<void>;
  try {
    // Stale after 10 s (a command killed while holding it); a live holder keeps it fresh. Should
    // it be taken from us all the same, the write below is still atomic: at worst one merge is
    // lost, which is no reason to crash the command (the library's default).
    release = await lock(path, {
      realpath: false,
      stale: 10_000,
      retries: { retries: 40, minTimeout: 50, maxTimeout: 500 },
      onCompromised: () => undefined,
    });
  } catch (err) {
    throw new KeystoreError(`cannot lock keystore ${path} to save it: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  try {
    let contents = contentsOf(keys);
    let conflicts: SeenConflict[] = [];
    const current = readText(path);
    if (versionOf(current) !== options.version) {
      const onDisk = options.opened?.version === versionOf(current) ? options.opened.keys : openKeystoreDocument(current, passphrase).keys;
      ({ merged: contents, conflicts } = mergeKeystores(contentsOf(onDisk), contents, options.replaced, options.hashAt));
      if (options.unlessBehind && conflicts.some((c) => c.reason === 'log_ends_before')) return { version: options.version, conflicts: [], behind: true };
      keys.channels = contents.channels;
      keys.seen = contents.seen;
      keys.restores = contents.restores;
    }
    const text = sealedText(contents, passphrase, options.scryptN);
    writeText(path, text, true);
    return { version: versionOf(text), conflicts };
  } finally {
    await release().catch(() => undefined); // compromised or already gone: the file is written either way
  }
}

/**
 * Seals and writes atomically: a temporary file beside the target (created 0600, never
 * readable by others even for a moment), flushed, then renamed over the target (or
 * linked to it, when it must not exist yet).
 * `overwrite: false` refuses to replace an existing keystore (keys would be lost).
 */
export function writeKeystore(path: string, contents: KeystoreContents | Keys, passphrase: string, options: { overwrite: boolean; scryptN?: number }): Keys {
  const plain = 'identity' in contents ? contentsOf(contents) : contents;
  writeText(path, sealedText(plain, passphrase, options.scryptN), options.overwrite);
  return withPublicHalves(plain);
}

function sealedText(contents: KeystoreContents, passphrase: string, scryptN?: number): string {
  return JSON.stringify(sealKeystore(contents, passphrase, scryptN), null, 2) + '\n';
}

function writeText(path: string, text: string, overwrite: boolean): void {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    let fd: number;
    try {
      fd = openSync(tmp, 'wx', 0o600);
    } catch (err) {
      // Said of the keystore asked for, not of the temporary file beside it.
      const code = (err as NodeJS.ErrnoException).code;
      throw new KeystoreError(`cannot write ${path}: ${code === 'ENOENT' ? `no directory ${dir}` : code === 'EACCES' ? `no permission to write in ${dir}` : (code ?? err)}`);
    }
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    try {
      // A rename atomically replaces the keystore; a new one never replaces an existing file.
      if (overwrite) renameSync(tmp, path);
      else publishNewFile(tmp, path);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new KeystoreError(code === 'EEXIST' ? `${path} exists already; not overwriting a keystore` : `cannot write ${path}: ${code ?? err}`);
    }
    syncDirectory(dir); // the new name itself survives a power loss
  } finally {
    rmSync(tmp, { force: true }); // gone after a rename; the extra name after a link; a failed write's leftovers
  }
}

function syncDirectory(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
