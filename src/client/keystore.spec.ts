import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateIdentity } from '../protocol';
import { KeystoreError, WrongPassphraseError } from './errors';
import { KeystoreContents, openKeystore, scryptCostFromEnv, sealKeystore, DEFAULT_SCRYPT_N } from './keystore';
import { readKeystore, writeKeystore } from './keystore-file';

const LOW_N = 2 ** 10; // the minimum: these specs test the format, not the cost

function contents(): KeystoreContents {
  const { signSeed, boxSecret } = generateIdentity();
  return { id: 'ua.lead', party: 'ua', role: 'negotiator', signSeed, boxSecret, channels: [] };
}

describe('keystore', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'parley-ks-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('given contents sealed with a passphrase, when opened with it, then the keys and fingerprint come back', () => {
    const c = contents();
    const keys = openKeystore(JSON.stringify(sealKeystore(c, 'correct horse', LOW_N)), 'correct horse');
    expect(keys).toMatchObject(c);
    expect(keys.fingerprint).toMatch(/^[0-9a-f]{64}$/);
  });

  it('given a sealed keystore, then no secret, id or party appears in the document', () => {
    const c = contents();
    const text = JSON.stringify(sealKeystore(c, 'pw', LOW_N));
    for (const clear of [c.signSeed, c.boxSecret, 'ua.lead', 'negotiator']) expect(text).not.toContain(clear);
  });

  it('given a wrong passphrase, when opening, then WrongPassphraseError', () => {
    const text = JSON.stringify(sealKeystore(contents(), 'right', LOW_N));
    expect(() => openKeystore(text, 'wrong')).toThrow(WrongPassphraseError);
  });

  it('given a document with absurd scrypt parameters, when opening, then a KeystoreError before any derivation', () => {
    const doc = sealKeystore(contents(), 'pw', LOW_N);
    expect(() => openKeystore(JSON.stringify({ ...doc, kdf: { ...doc.kdf, N: 2 ** 30 } }), 'pw')).toThrow(/outside the accepted range/);
    expect(() => openKeystore('{"format":"other"}', 'pw')).toThrow(KeystoreError);
  });

  it('given PARLEY_KEYSTORE_SCRYPT_N, then only a power of two in range is accepted', () => {
    expect(scryptCostFromEnv({})).toBe(DEFAULT_SCRYPT_N);
    expect(DEFAULT_SCRYPT_N).toBeGreaterThanOrEqual(2 ** 15);
    expect(scryptCostFromEnv({ PARLEY_KEYSTORE_SCRYPT_N: '1024' })).toBe(1024);
    expect(() => scryptCostFromEnv({ PARLEY_KEYSTORE_SCRYPT_N: '1000' })).toThrow(KeystoreError);
    expect(() => scryptCostFromEnv({ PARLEY_KEYSTORE_SCRYPT_N: '16' })).toThrow(KeystoreError);
  });

  it('given a keystore written to disk, then it is mode 0600, leaves no temporary file, and reads back', () => {
    const path = join(dir, 'me.keystore');
    writeKeystore(path, contents(), 'pw', { overwrite: false, scryptN: LOW_N });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual(['me.keystore']);
    expect(readKeystore(path, 'pw').id).toBe('ua.lead');
    expect(() => readKeystore(path, 'nope')).toThrow(WrongPassphraseError);
    writeKeystore(path, { ...contents(), channels: ['c'] }, 'pw2', { overwrite: true, scryptN: LOW_N });
    expect(readKeystore(path, 'pw2').channels).toEqual(['c']);
    expect(readdirSync(dir)).toEqual(['me.keystore']);
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('given an existing keystore, when writing without overwrite, then it refuses and keeps the old keys', () => {
    const path = join(dir, 'me.keystore');
    writeFileSync(path, 'old');
    expect(() => writeKeystore(path, contents(), 'pw', { overwrite: false, scryptN: LOW_N })).toThrow(/exists already/);
    expect(readFileSync(path, 'utf8')).toBe('old');
    expect(readdirSync(dir)).toEqual(['me.keystore']);
  });
});
