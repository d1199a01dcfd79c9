import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateIdentity } from '../protocol';
import { KeystoreError, WrongPassphraseError } from './errors';
import { KeystoreContents, mergeKeystores, openKeystore, scryptCostFromEnv, sealKeystore, DEFAULT_SCRYPT_N } from './keystore';
import { readKeystore, readKeystoreFile, saveKeystore, writeKeystore } from './keystore-file';

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
    expect(DEFAULT_SCRYPT_N).toBeGreaterThanOrEqual(2 ** 17); // OWASP's minimum for r = 8, p = 1
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

const C1 = '11111111-1111-4111-8111-111111111111';
const C2 = '22222222-2222-4222-8222-222222222222';
const hash = (c: string) => c.repeat(64);

describe('two commands on one keystore', () => {
  const mine = contents();
  const at = (seen: KeystoreContents['seen'], channels = [C1]): KeystoreContents => ({ ...mine, channels, seen });

  it('given the other saved a later event and a new channel, when merging an older one, then neither is rolled back', () => {
    const { merged, conflicts } = mergeKeystores(at({ [C1]: { seq: 4, hash: hash('b') } }, [C1, C2]), at({ [C1]: { seq: 3, hash: hash('a') } }));
    expect(merged).toEqual(at({ [C1]: { seq: 4, hash: hash('b') } }, [C1, C2]));
    expect(conflicts).toEqual([]);
  });

  it('given this command verified further, then its event is kept, and channels only it joined too', () => {
    const { merged } = mergeKeystores(at({ [C1]: { seq: 3, hash: hash('a') } }), at({ [C1]: { seq: 5, hash: hash('c') }, [C2]: { seq: 0, hash: hash('d') } }, [C1, C2]));
    expect(merged).toEqual(at({ [C1]: { seq: 5, hash: hash('c') }, [C2]: { seq: 0, hash: hash('d') } }, [C1, C2]));
  });

  it('given two events at one seq, then the file\'s is kept and the conflict reported: the server showed two histories', () => {
    const { merged, conflicts } = mergeKeystores(at({ [C1]: { seq: 4, hash: hash('b') } }), at({ [C1]: { seq: 4, hash: hash('e') } }));
    expect(merged.seen).toEqual({ [C1]: { seq: 4, hash: hash('b') } });
    expect(conflicts).toEqual([{ channel: C1, kept: { seq: 4, hash: hash('b') }, dropped: { seq: 4, hash: hash('e') }, reason: 'two_hashes' }]);
  });

  it('given the file\'s event at a seq this command verified, with another hash there, then the file\'s is kept and the conflict reported, whichever seq is later', () => {
    // This command's log: hash('x') at every seq. The other command was served another.
    const ourLog = (upTo: number) => (channel: string, seq: number) => (channel === C1 && seq <= upTo ? hash('x') : undefined);
    const behind = mergeKeystores(at({ [C1]: { seq: 2, hash: hash('a') } }), at({ [C1]: { seq: 5, hash: hash('x') } }), new Set(), ourLog(5));
    expect(behind).toEqual({ merged: at({ [C1]: { seq: 2, hash: hash('a') } }), conflicts: [{ channel: C1, kept: { seq: 2, hash: hash('a') }, dropped: { seq: 5, hash: hash('x') }, reason: 'two_hashes' }] });
    // The file's later event, once this command's log was read on to it.
    const ahead = mergeKeystores(at({ [C1]: { seq: 7, hash: hash('b') } }), at({ [C1]: { seq: 5, hash: hash('x') } }), new Set(), ourLog(7));
    expect(ahead.conflicts).toEqual([{ channel: C1, kept: { seq: 7, hash: hash('b') }, dropped: { seq: 5, hash: hash('x') }, reason: 'two_hashes' }]);
    // Of one log: no conflict, the later event kept.
    const same = mergeKeystores(at({ [C1]: { seq: 7, hash: hash('x') } }), at({ [C1]: { seq: 5, hash: hash('x') } }), new Set(), ourLog(7));
    expect(same).toEqual({ merged: at({ [C1]: { seq: 7, hash: hash('x') } }), conflicts: [] });
    // This command's log, read on, ends before the file's event: served a shorter history.
    const shorter = mergeKeystores(at({ [C1]: { seq: 9, hash: hash('b') } }), at({ [C1]: { seq: 5, hash: hash('x') } }), new Set(), () => null);
    expect(shorter.conflicts).toEqual([{ channel: C1, kept: { seq: 9, hash: hash('b') }, dropped: { seq: 5, hash: hash('x') }, reason: 'log_ends_before' }]);
  });

  it('given this command accepted a restore of a channel, then its earlier event replaces the file\'s', () => {
    const ours = { ...at({ [C1]: { seq: 2, hash: hash('a') } }), restores: { [C1]: 1 } };
    const { merged } = mergeKeystores(at({ [C1]: { seq: 9, hash: hash('b') } }), ours, new Set([C1]));
    expect({ seen: merged.seen, restores: merged.restores }).toEqual({ seen: { [C1]: { seq: 2, hash: hash('a') } }, restores: { [C1]: 1 } });
  });

  it('given another command accepted a restore since this one read the file, then the restored event stays: this one\'s later seq is of the history given up', () => {
    const restored = { ...at({ [C1]: { seq: 2, hash: hash('a') } }), restores: { [C1]: 1 } };
    const { merged, conflicts } = mergeKeystores(restored, at({ [C1]: { seq: 9, hash: hash('b') } }));
    expect({ seen: merged.seen, restores: merged.restores, conflicts }).toEqual({ seen: { [C1]: { seq: 2, hash: hash('a') } }, restores: { [C1]: 1 }, conflicts: [] });
    // Read after that restore, a command's later event moves the pin on as ever.
    const after = mergeKeystores(restored, { ...at({ [C1]: { seq: 5, hash: hash('c') } }), restores: { [C1]: 1 } }).merged;
    expect(after.seen).toEqual({ [C1]: { seq: 5, hash: hash('c') } });
  });

  it('given the file now holds another participant\'s keys, then KeystoreError', () => {
    expect(() => mergeKeystores({ ...contents(), id: 'ru.lead' }, mine)).toThrow(/now holds other keys \(ru.lead\)/);
  });

  describe('on disk', () => {
    let dir: string;
    let path: string;
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'parley-ks-'));
      path = join(dir, 'me.keystore');
      writeKeystore(path, at({ [C1]: { seq: 1, hash: hash('a') } }), 'pw', { overwrite: false, scryptN: LOW_N });
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it('given a long command read it and a short one saved since, when the long one saves, then the short one\'s save survives', async () => {
      const long = readKeystoreFile(path, 'pw');
      const short = readKeystoreFile(path, 'pw');
      short.keys.seen = { [C1]: { seq: 4, hash: hash('b') } };
      short.keys.channels.push(C2);
      await saveKeystore(path, short.keys, 'pw', { version: short.version, scryptN: LOW_N });
      long.keys.seen = { [C1]: { seq: 3, hash: hash('c') } };
      const saved = await saveKeystore(path, long.keys, 'pw', { version: long.version, scryptN: LOW_N });
      expect(saved.conflicts).toEqual([]);
      const now = readKeystoreFile(path, 'pw');
      expect({ seen: now.keys.seen, channels: now.keys.channels }).toEqual({ seen: { [C1]: { seq: 4, hash: hash('b') } }, channels: [C1, C2] });
      expect(now.version).toBe(saved.version);
      expect(readdirSync(dir)).toEqual(['me.keystore']); // no lock or temporary file left
    });

    it('given the file remembers an event past this command\'s log, when saving unlessBehind, then nothing is written and the caller is told to read on', async () => {
      const ours = readKeystoreFile(path, 'pw');
      const other = readKeystoreFile(path, 'pw');
      other.keys.seen = { [C1]: { seq: 6, hash: hash('b') } };
      await saveKeystore(path, other.keys, 'pw', { version: other.version, scryptN: LOW_N });
      const before = readFileSync(path, 'utf8');
      ours.keys.seen = { [C1]: { seq: 3, hash: hash('x') } };
      const ourLog = (_: string, seq: number) => (seq <= 3 ? hash('x') : null); // not read on to seq 6 yet
      const refused = await saveKeystore(path, ours.keys, 'pw', { version: ours.version, scryptN: LOW_N, hashAt: ourLog, unlessBehind: true });
      expect(refused).toEqual({ version: ours.version, conflicts: [], behind: true });
      expect(readFileSync(path, 'utf8')).toBe(before);
      expect(ours.keys.seen).toEqual({ [C1]: { seq: 3, hash: hash('x') } }); // untouched, for the next round
      // Read on, the log holds the other's event: merged, no conflict.
      const readOn = (_: string, seq: number) => (seq === 6 ? hash('b') : hash('x'));
      const saved = await saveKeystore(path, ours.keys, 'pw', { version: ours.version, scryptN: LOW_N, hashAt: readOn, unlessBehind: true });
      expect(saved).toEqual({ version: expect.any(String), conflicts: [] });
      expect(readKeystoreFile(path, 'pw').keys.seen).toEqual({ [C1]: { seq: 6, hash: hash('b') } });
    });

    it('given saves racing from one read, then each is merged into the next: none is lost', async () => {
      const reads = [C1, C2, '33333333-3333-4333-8333-333333333333'].map((channel) => {
        const read = readKeystoreFile(path, 'pw');
        if (!read.keys.channels.includes(channel)) read.keys.channels.push(channel);
        return read;
      });
      await Promise.all(reads.map((r) => saveKeystore(path, r.keys, 'pw', { version: r.version, scryptN: LOW_N })));
      expect(readKeystore(path, 'pw').channels.sort()).toEqual([C1, C2, '33333333-3333-4333-8333-333333333333']);
    });
  });
});
