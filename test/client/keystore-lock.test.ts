/**
 * Saves of one keystore from several processes at once (a long `tail` and other commands):
 * each save takes the inter-process lock and merges what the others saved, so none is lost.
 * The processes run the compiled keystore-file (dist/, built by npm test).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { randomUUID } from 'node:crypto';
import { generateIdentity } from '../../src/protocol';
import { readKeystore, writeKeystore } from '../../src/client/keystore-file';

const COMPILED = resolve(__dirname, '..', '..', 'dist', 'src', 'client', 'keystore-file.js');
const PROCESSES = 4;
const SAVES = 8;

/** One process: SAVES times, read the keystore, join a new channel, save. */
const saver = `
const { readKeystoreFile, saveKeystore } = require(${JSON.stringify(COMPILED)});
const { randomUUID } = require('node:crypto');
(async () => {
  for (let i = 0; i < ${SAVES}; i++) {
    const read = readKeystoreFile(process.argv[1], 'pw');
    read.keys.channels.push(randomUUID());
    await saveKeystore(process.argv[1], read.keys, 'pw', { version: read.version, scryptN: 1024 });
  }
})().catch((err) => { console.error(err); process.exit(1); });
`;

describe('a keystore saved by several processes at once', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'parley-ks-lock-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('given each joining channels as fast as it can, then every channel joined is in the file, and no lock is left', async () => {
    const path = join(dir, 'me.keystore');
    const { signSeed, boxSecret } = generateIdentity();
    const first = randomUUID();
    writeKeystore(path, { id: 'ua.lead', party: 'ua', role: 'negotiator', signSeed, boxSecret, channels: [first] }, 'pw', { overwrite: false, scryptN: 1024 });
    await Promise.all(
      Array.from(
        { length: PROCESSES },
        () =>
          new Promise<void>((done, fail) =>
            execFile(process.execPath, ['-e', saver, path], (err, _out, stderr) => (err ? fail(new Error(`${err.message}\n${stderr}`)) : done())),
          ),
      ),
    );
    const channels = readKeystore(path, 'pw').channels;
    expect(channels[0]).toBe(first);
    expect(new Set(channels).size).toBe(1 + PROCESSES * SAVES);
    expect(readdirSync(dir)).toEqual(['me.keystore']);
  });
});
