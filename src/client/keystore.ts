/**
 * A participant's keystore: its secrets and who it is, sealed with a passphrase.
 * scrypt (node:crypto) derives a 32-byte key from the passphrase and a random salt;
 * tweetnacl's secretbox seals the JSON. Nothing of the contents is written in clear.
 * This module turns contents into a document and back; `keystore-file.ts` does the I/O.
 */
import { randomBytes, scryptSync } from 'node:crypto';
import {
  b64uDecode,
  b64uEncode,
  fingerprint,
  identityFromSecrets,
  Identity,
  isHex64,
  isParticipantId,
  isPartyId,
  isUuid,
  parseStrictJson,
  ROLES,
  Role,
  secretbox,
} from '../protocol';
import { KeystoreError, WrongPassphraseError } from './errors';

export const KEYSTORE_FORMAT = 'parley-keystore/1';

/**
 * 2^17 (about 0.4 s and 128 MiB here): OWASP's minimum for scrypt with r = 8, p = 1; the
 * keys protect what negotiators read of children. Tests may lower it with PARLEY_KEYSTORE_SCRYPT_N.
 */
export const DEFAULT_SCRYPT_N = 2 ** 17;
// Bounds for N read from a file: below is too weak to be ours, above lets a file exhaust memory.
const MIN_SCRYPT_N = 2 ** 10;
const MAX_SCRYPT_N = 2 ** 20;

/** Who the keys belong to, and the secrets. */
export interface KeystoreContents {
  id: string;
  party: string;
  role: Role;
  signSeed: string;
  boxSecret: string;
  /** Channels this participant consented to join (made a record for), oldest first. */
  channels: string[];
  /**
   * Per channel, the last event this keystore's user verified. The log is a hash chain, so
   * that one event pins everything before it: a server must serve it again at its seq (or
   * the channel was forked or cut short). Absent in keystores written before it existed.
   */
  seen?: Record<string, SeenEvent>;
  /**
   * Per channel, how many times this keystore's user accepted a log that does not continue
   * the one verified before (`status --accept-restore`): so that a command which read the
   * keystore before such a restore cannot put the given-up event back when it saves.
   */
  restores?: Record<string, number>;
}

export interface SeenEvent {
  seq: number;
  hash: string;
}

/** A loaded keystore: the contents plus the public halves and fingerprint. */
export interface Keys extends KeystoreContents {
  identity: Identity;
  fingerprint: string;
}

export interface KeystoreDocument {
  format: typeof KEYSTORE_FORMAT;
  kdf: { name: 'scrypt'; N: number; r: number; p: number; salt: string };
  nonce: string;
  box: string;
}

/** N from PARLEY_KEYSTORE_SCRYPT_N (a power of two, for tests), else the default. */
export function scryptCostFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.PARLEY_KEYSTORE_SCRYPT_N;
  if (raw === undefined || raw === '') return DEFAULT_SCRYPT_N;
  const n = Number(raw);
  if (!isPowerOfTwo(n) || n < MIN_SCRYPT_N || n > MAX_SCRYPT_N) {
    throw new KeystoreError(`PARLEY_KEYSTORE_SCRYPT_N must be a power of two from ${MIN_SCRYPT_N} to ${MAX_SCRYPT_N}`);
  }
  return n;
}

function isPowerOfTwo(n: number): boolean {
  return Number.isSafeInteger(n) && n > 0 && (n & (n - 1)) === 0;
}

function deriveKey(passphrase: string, salt: Buffer, N: number, r: number, p: number): Buffer {
  return scryptSync(passphrase.normalize('NFC'), salt, 32, { N, r, p, maxmem: 256 * N * r + 1024 * 1024 });
}

export function sealKeystore(contents: KeystoreContents, passphrase: string, N = scryptCostFromEnv()): KeystoreDocument {
  validateContents(contents);
  if (passphrase.length === 0) throw new KeystoreError('the passphrase must not be empty');
  const salt = randomBytes(16);
  const nonce = randomBytes(24);
  const r = 8;
  const p = 1;
  const key = deriveKey(passphrase, salt, N, r, p);
  const plain = Buffer.from(JSON.stringify(contents));
  const box = secretbox(plain, nonce, key);
  plain.fill(0);
  key.fill(0);
  return { format: KEYSTORE_FORMAT, kdf: { name: 'scrypt', N, r, p, salt: b64uEncode(salt) }, nonce: b64uEncode(nonce), box: b64uEncode(box) };
}

/** Opens a keystore document; WrongPassphraseError when the passphrase does not open it. */
export function openKeystore(text: string, passphrase: string): Keys {
  return openKeystoreDocument(text, passphrase).keys;
}

/** As openKeystore, with the scrypt cost the document was sealed with (re-sealing keeps at least it). */
export function openKeystoreDocument(text: string, passphrase: string): { keys: Keys; scryptN: number } {
  let doc: Record<string, unknown>;
  try {
    doc = parseStrictJson(text);
  } catch (err) {
    throw new KeystoreError(`not a keystore file: ${(err as Error).message}`);
  }
  const kdf = doc.kdf as KeystoreDocument['kdf'] | undefined;
  const salt = typeof kdf?.salt === 'string' ? b64uDecode(kdf.salt) : null;
  const nonce = typeof doc.nonce === 'string' ? b64uDecode(doc.nonce, 24) : null;
  const box = typeof doc.box === 'string' ? b64uDecode(doc.box) : null;
  if (doc.format !== KEYSTORE_FORMAT || kdf?.name !== 'scrypt' || !salt || !nonce || !box) {
    throw new KeystoreError(`not a ${KEYSTORE_FORMAT} file`);
  }
  if (!isPowerOfTwo(kdf.N) || kdf.N < MIN_SCRYPT_N || kdf.N > MAX_SCRYPT_N || kdf.r !== 8 || kdf.p !== 1) {
    throw new KeystoreError('the keystore names scrypt parameters outside the accepted range');
  }
  const key = deriveKey(passphrase, salt, kdf.N, kdf.r, kdf.p);
  const plain = secretbox.open(box, nonce, key);
  key.fill(0);
  if (!plain) throw new WrongPassphraseError();
  let contents: KeystoreContents;
  try {
    contents = parseStrictJson(Buffer.from(plain).toString('utf8')) as unknown as KeystoreContents;
  } catch {
    throw new KeystoreError('the keystore opened but its contents are not valid');
  } finally {
    plain.fill(0);
  }
  validateContents(contents);
  return { keys: withPublicHalves(contents), scryptN: kdf.N };
}

export function withPublicHalves(contents: KeystoreContents): Keys {
  const identity = identityFromSecrets(contents.signSeed, contents.boxSecret);
  return { ...contents, identity, fingerprint: fingerprint(identity) };
}

/** The contents alone (what is sealed), from loaded keys. */
export function contentsOf(keys: Keys): KeystoreContents {
  const { id, party, role, signSeed, boxSecret, channels, seen, restores } = keys;
  return { id, party, role, signSeed, boxSecret, channels: [...channels], ...(seen ? { seen: { ...seen } } : {}), ...(restores ? { restores: { ...restores } } : {}) };
}

/**
 * A channel whose remembered events in two copies of one keystore cannot both be of one log:
 * two hashes at the same seq, or one copy's event not in the log the other command verified.
 */
export interface SeenConflict {
  channel: string;
  kept: SeenEvent;
  dropped: SeenEvent;
  /** Two hashes at one seq, or this command's log (read on to the kept event) ends before it. */
  reason: 'two_hashes' | 'log_ends_before';
}

/**
 * What to write when the keystore file changed since a command read it (another command on
 * the same keystore saved meanwhile): both commands' channels, and per channel the later of
 * the two remembered events — a pin only moves forward, so neither command rolls the other's
 * back — except where this command deliberately replaced it (`replaced`: an accepted restore),
 * and where the file records a restore accepted since this command read it (`restores`): its
 * event then stays, however late this command's is, since that one is of the history given up.
 * The same seq with two hashes means the two commands were served two histories; so does a
 * file's event that this command's verified log, read on to it, does not hold (`hashAt`: that
 * log's hash at a seq; null if it ends before; undefined if this command has no log of the
 * channel). Then the file's is kept, and the conflict reported. Throws if the file now holds
 * another participant's keys.
 */
export function mergeKeystores(
  onDisk: KeystoreContents,
  ours: KeystoreContents,
  replaced: ReadonlySet<string> = new Set(),
  hashAt: (channel: string, seq: number) => string | null | undefined = () => undefined,
): { merged: KeystoreContents; conflicts: SeenConflict[] } {
  if (onDisk.id !== ours.id || onDisk.signSeed !== ours.signSeed || onDisk.boxSecret !== ours.boxSecret) {
    throw new KeystoreError(`the keystore file now holds other keys (${onDisk.id}) than when this command read it (${ours.id}); not overwritten`);
  }
  const channels = [...onDisk.channels, ...ours.channels.filter((c) => !onDisk.channels.includes(c))];
  const seen: Record<string, SeenEvent> = { ...onDisk.seen };
  const conflicts: SeenConflict[] = [];
  const restoresOf = (c: KeystoreContents, channel: string) => c.restores?.[channel] ?? 0;
  for (const [channel, mine] of Object.entries(ours.seen ?? {})) {
    const theirs = seen[channel];
    if (!theirs || replaced.has(channel)) seen[channel] = mine;
    else if (restoresOf(onDisk, channel) > restoresOf(ours, channel)) continue; // restored since: ours is of the old history
    else {
      // Where this command's log reaches the other command's event, it must hold that very event.
      const oursThere = mine.seq === theirs.seq ? mine.hash : hashAt(channel, theirs.seq);
      if (oursThere !== undefined && oursThere !== theirs.hash) {
        conflicts.push({ channel, kept: theirs, dropped: mine, reason: oursThere === null ? 'log_ends_before' : 'two_hashes' });
      }
      else if (mine.seq > theirs.seq) seen[channel] = mine;
    }
  }
  const restores: Record<string, number> = { ...onDisk.restores };
  for (const [channel, n] of Object.entries(ours.restores ?? {})) restores[channel] = Math.max(n, restores[channel] ?? 0);
  return {
    merged: { ...ours, channels, ...(Object.keys(seen).length > 0 && { seen }), ...(Object.keys(restores).length > 0 && { restores }) },
    conflicts,
  };
}

function validateContents(c: KeystoreContents): void {
  const problems: string[] = [];
  if (!isParticipantId(c.id)) problems.push('id is not a participant id (a-z, 0-9, ".", "-"; not "notary")');
  if (!isPartyId(c.party)) problems.push('party is not a party id (a-z, 0-9, "-")');
  if (!ROLES.includes(c.role)) problems.push(`role must be one of ${ROLES.join(', ')}`);
  if (!b64uDecode(c.signSeed, 32) || !b64uDecode(c.boxSecret, 32)) problems.push('secrets must be 32 bytes of b64u');
  if (!Array.isArray(c.channels) || c.channels.some((x) => typeof x !== 'string')) problems.push('channels must be a list');
  if (c.seen !== undefined && !validSeen(c.seen)) problems.push('seen must map channel uuids to { seq, hash }');
  if (c.restores !== undefined && !validRestores(c.restores)) problems.push('restores must map channel uuids to counts');
  if (problems.length) throw new KeystoreError(`invalid keystore contents: ${problems.join('; ')}`);
}

function validRestores(restores: unknown): boolean {
  if (typeof restores !== 'object' || restores === null || Array.isArray(restores)) return false;
  return Object.entries(restores).every(([channel, n]) => isUuid(channel) && Number.isSafeInteger(n) && (n as number) > 0);
}

function validSeen(seen: unknown): boolean {
  if (typeof seen !== 'object' || seen === null || Array.isArray(seen)) return false;
  return Object.entries(seen).every(
    ([channel, e]) =>
      isUuid(channel) &&
      typeof e === 'object' &&
      e !== null &&
      Object.keys(e).length === 2 &&
      Number.isSafeInteger((e as SeenEvent).seq) &&
      (e as SeenEvent).seq >= 0 &&
      isHex64((e as SeenEvent).hash),
  );
}
