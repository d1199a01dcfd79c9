/**
 * The server's notary key (DESIGN.md 1.2): from PARLEY_NOTARY_SEED when given, else from
 * PARLEY_DATA_DIR/notary.key, generated there on the first start. The file holds only the
 * b64u seed, is created with mode 0600 and published atomically with link(2) — which fails
 * if the name exists — so two processes starting at once on one data directory end up with
 * the same key. The seed is never logged.
 */
import { chmodSync, closeSync, fsyncSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { FactoryProvider } from '@nestjs/common';
import { PARLEY_CONFIG, type ParleyConfig } from '../config/parley-config';
import { b64uDecode, b64uEncode, ed25519KeyPair, ed25519Signer, randomBytes } from '../protocol';
import { NOTARY_KEY, type NotaryKey } from './notary-key';
import { publishNewFile } from '../common/publish-new-file';

export const NOTARY_KEY_FILE = 'notary.key';
const OWNER_ONLY = 0o600;

export function notaryKeyFromSeed(seed: Uint8Array): NotaryKey {
  return { signKey: b64uEncode(ed25519KeyPair(seed).publicKey), sign: ed25519Signer(seed) };
}

function decodeSeed(text: string, where: string): Uint8Array {
  const seed = b64uDecode(text.trim(), 32);
  if (!seed) throw new Error(`${where} does not hold a 32-byte b64u Ed25519 seed`);
  return seed;
}

function readSeedFile(file: string): Uint8Array {
  // Someone widened the mode: narrow it again rather than keep a readable secret.
  if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, OWNER_ONLY);
  return decodeSeed(readFileSync(file, 'utf8'), file);
}

/** Writes a fresh seed to `file` unless it exists; returns the seed that is there afterwards. */
function createSeedFile(file: string): Uint8Array {
  const temp = `${file}.${process.pid}.${b64uEncode(randomBytes(6))}.tmp`;
  const fd = openSync(temp, 'wx', OWNER_ONLY);
  try {
    writeSync(fd, b64uEncode(randomBytes(32)) + '\n');
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    publishNewFile(temp, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    rmSync(temp, { force: true }); // the extra name after a link; gone after the rename a filesystem without links gets
  }
  return readSeedFile(file);
}

/** The notary key for a configuration: the seed given, or the data directory's key file. */
export function loadNotaryKey(config: Pick<ParleyConfig, 'PARLEY_NOTARY_SEED' | 'PARLEY_DATA_DIR'>): NotaryKey {
  if (config.PARLEY_NOTARY_SEED) return notaryKeyFromSeed(decodeSeed(config.PARLEY_NOTARY_SEED, 'PARLEY_NOTARY_SEED'));
  mkdirSync(config.PARLEY_DATA_DIR, { recursive: true, mode: 0o700 });
  const file = join(config.PARLEY_DATA_DIR, NOTARY_KEY_FILE);
  let seed: Uint8Array;
  try {
    seed = readSeedFile(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    seed = createSeedFile(file);
  }
  const dir = openSync(config.PARLEY_DATA_DIR, 'r');
  try {
    fsyncSync(dir); // the new name survives a crash
  } finally {
    closeSync(dir);
  }
  return notaryKeyFromSeed(seed);
}

export const notaryKeyProvider: FactoryProvider<NotaryKey> = {
  provide: NOTARY_KEY,
  inject: [PARLEY_CONFIG],
  useFactory: (config: ParleyConfig) => loadNotaryKey(config),
};
