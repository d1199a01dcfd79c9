/** The notary key provider against a real data directory. */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, chmodSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { b64uEncode, ed25519KeyPair, ed25519Verify } from '../../src/protocol';
import { loadNotaryKey, NOTARY_KEY_FILE } from '../../src/notary/notary-key.provider';

describe('notary key provider', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'parley-notary-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('generates a key on first start into PARLEY_DATA_DIR/notary.key with mode 0600, and reuses it after', () => {
    const data = join(dir, 'data');
    const first = loadNotaryKey({ PARLEY_DATA_DIR: data });
    const file = join(data, NOTARY_KEY_FILE);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readdirSync(data)).toEqual([NOTARY_KEY_FILE]); // no temporary file left behind

    const again = loadNotaryKey({ PARLEY_DATA_DIR: data });
    expect(again.signKey).toBe(first.signKey);
    const message = Buffer.from('parley');
    expect(ed25519Verify(first.signKey, message, again.sign(message))).toBe(true);
    // The file holds the seed only; the public key is derived from it.
    expect(readFileSync(file, 'utf8')).not.toContain(first.signKey);
  });

  it('gives processes starting at once on one data directory the same key (link(2) publishes it once)', async () => {
    // The built provider (npm test builds first), in four processes racing to create the file.
    const provider = join(__dirname, '..', '..', 'dist', 'src', 'notary', 'notary-key.provider.js');
    const script = `process.stdout.write(require(${JSON.stringify(provider)}).loadNotaryKey({ PARLEY_DATA_DIR: process.argv[1] }).signKey)`;
    const keys = await Promise.all(
      Array.from({ length: 4 }, () => new Promise<string>((resolve, reject) =>
        execFile(process.execPath, ['-e', script, dir], (error, stdout) => (error ? reject(error) : resolve(stdout))),
      )),
    );
    expect(new Set(keys).size).toBe(1);
    expect(keys[0]).toBe(loadNotaryKey({ PARLEY_DATA_DIR: dir }).signKey);
    expect(readdirSync(dir)).toEqual([NOTARY_KEY_FILE]);
    expect(statSync(join(dir, NOTARY_KEY_FILE)).mode & 0o777).toBe(0o600);
  });

  it('narrows a key file someone made readable to others back to 0600', () => {
    const first = loadNotaryKey({ PARLEY_DATA_DIR: dir });
    const file = join(dir, NOTARY_KEY_FILE);
    chmodSync(file, 0o644);
    expect(loadNotaryKey({ PARLEY_DATA_DIR: dir }).signKey).toBe(first.signKey);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('takes PARLEY_NOTARY_SEED when given, and writes no file', () => {
    const pair = ed25519KeyPair();
    const key = loadNotaryKey({ PARLEY_DATA_DIR: dir, PARLEY_NOTARY_SEED: b64uEncode(pair.secretKey) });
    expect(key.signKey).toBe(b64uEncode(pair.publicKey));
    expect(readdirSync(dir)).toEqual([]);
  });

  it('refuses a key file that does not hold a 32-byte seed, without printing its content', () => {
    writeFileSync(join(dir, NOTARY_KEY_FILE), 'secret-but-short', { mode: 0o600 });
    // Captured, then checked outside the catch: had it not thrown, `thrown` would stay undefined and fail below.
    let thrown: unknown;
    try {
      loadNotaryKey({ PARLEY_DATA_DIR: dir });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(Error);
    expect((thrown as Error).message).toMatch(/does not hold a 32-byte b64u Ed25519 seed/);
    expect(String(thrown)).not.toContain('secret-but-short');
  });
});
