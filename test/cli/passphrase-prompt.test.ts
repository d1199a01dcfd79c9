/**
 * The passphrase prompt on a real terminal: asked for (twice for a new keystore), never
 * echoed, and a wrong one typed is refused like any other.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parley, parleyInTerminal } from './parley-harness';

jest.setTimeout(60_000);

describe('parley passphrase prompt on a terminal', () => {
  const PASS = 'correct horse 7 battery';
  let dir = '';
  let keystore = '';
  // No passphrase from the environment or a file: the prompt is the only source left.
  const env = () => ({ PARLEY_PASSPHRASE: '', PARLEY_KEYSTORE: keystore, PARLEY_KEYSTORE_SCRYPT_N: '1024' });

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'parley-prompt-'));
    keystore = join(dir, 'ua.lead.keystore');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('given no passphrase source, when keygen runs in a terminal, then it asks twice, echoes nothing and writes the keystore', async () => {
    const run = await parleyInTerminal(['keygen', '--id', 'ua.lead', '--party', 'ua'], env(), [
      ['Passphrase for', PASS],
      ['Repeat the passphrase', PASS],
    ]);
    expect(run.code).toBe(0);
    expect(run.screen).toContain('written to');
    expect(run.screen).not.toContain(PASS);
    expect(run.screen).not.toContain('horse');
    expect(statSync(keystore).mode & 0o777).toBe(0o600);
    const who = await parley(['whoami', '--json'], { ...env(), PARLEY_PASSPHRASE: PASS });
    expect(who.json).toMatchObject({ id: 'ua.lead', party: 'ua' });
  });

  it('given a keystore, when the passphrase is typed at the prompt, then it opens; typed wrong, then wrong_passphrase (exit 2)', async () => {
    const right = await parleyInTerminal(['whoami'], env(), [['Passphrase for', PASS]]);
    expect(right.code).toBe(0);
    expect(right.screen).toMatch(/Safety number: ([0-9a-f]{4} ){15}[0-9a-f]{4}/);
    expect(right.screen).not.toContain(PASS);
    const wrong = await parleyInTerminal(['whoami'], env(), [['Passphrase for', 'not it']]);
    expect(wrong.code).toBe(2);
    expect(wrong.screen).toContain('wrong_passphrase');
    expect(wrong.screen).not.toContain('not it');
  });

  it('given a short passphrase, when keygen runs, then it warns and still writes the keystore; a long one, no warning', async () => {
    const short = await parley(['keygen', '--id', 'ua.short', '--party', 'ua'], { ...env(), PARLEY_KEYSTORE: join(dir, 'short.keystore'), PARLEY_PASSPHRASE: 'hunter2' });
    expect(short.code).toBe(0);
    expect(short.stderr).toBe(
      'parley: warning: the passphrase has 7 characters: whoever copies the keystore file can try guesses offline; 12 or more (four random words, say) resist far longer\n',
    );
    expect(statSync(join(dir, 'short.keystore')).isFile()).toBe(true);
    const long = await parley(['keygen', '--id', 'ua.long', '--party', 'ua'], { ...env(), PARLEY_KEYSTORE: join(dir, 'long.keystore'), PARLEY_PASSPHRASE: PASS });
    expect({ code: long.code, stderr: long.stderr }).toEqual({ code: 0, stderr: '' });
  });

  it('given two different answers, when keygen runs in a terminal, then it refuses and writes nothing', async () => {
    const other = join(dir, 'other.keystore');
    const run = await parleyInTerminal(['keygen', '--id', 'ru.lead', '--party', 'ru'], { ...env(), PARLEY_KEYSTORE: other }, [
      ['Passphrase for', PASS],
      ['Repeat the passphrase', PASS + 'x'],
    ]);
    expect(run.code).toBe(2);
    expect(run.screen).toContain('the passphrases differ');
    expect(() => statSync(other)).toThrow();
  });
});
