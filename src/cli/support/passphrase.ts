/**
 * Where a passphrase comes from, in this order: `--passphrase-file`, PARLEY_PASSPHRASE, or
 * a prompt on the terminal without echo. Never from an argument (it would sit in the
 * shell history and the process list).
 */
import { readFileSync, statSync } from 'node:fs';
import { UsageError } from './cli-errors';
import { printable } from './output';

export interface PassphraseSource {
  passphraseFile?: string;
}

export async function passphrase(source: PassphraseSource, purpose: string, options: { confirm?: boolean } = {}): Promise<string> {
  if (source.passphraseFile) {
    let text: string;
    try {
      text = readFileSync(source.passphraseFile, 'utf8');
    } catch (err) {
      throw new UsageError(`cannot read the passphrase file: ${(err as NodeJS.ErrnoException).code ?? err}`);
    }
    // As ssh says of a key file: others who can read it hold the keystore too.
    warnIfShared('the passphrase file', source.passphraseFile);
    return nonEmpty(text.replace(/\r?\n$/, ''));
  }
  const env = process.env.PARLEY_PASSPHRASE;
  if (env !== undefined && env !== '') return env;
  if (!process.stdin.isTTY || !process.stderr.isTTY) {
    throw new UsageError('a passphrase is needed: give --passphrase-file, set PARLEY_PASSPHRASE, or run in a terminal');
  }
  const first = nonEmpty(await prompt(`Passphrase for ${purpose}: `));
  if (options.confirm && (await prompt('Repeat the passphrase: ')) !== first) throw new UsageError('the passphrases differ');
  return first;
}

function nonEmpty(p: string): string {
  if (p.length === 0) throw new UsageError('the passphrase is empty');
  return p;
}

/** Reads one line from the terminal in raw mode, echoing nothing. */
function prompt(question: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const stdin = process.stdin;
    // Echo off before the question shows: whatever is typed once it is visible stays unseen.
    stdin.setRawMode(true);
    process.stderr.write(question);
    stdin.resume();
    let text = '';
    const done = (err?: Error) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
      process.stderr.write('\n');
      if (err) reject(err);
      else resolve(text);
    };
    const onData = (chunk: Buffer) => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return done();
        if (ch === '\u0003') return done(new UsageError('interrupted'));
        if (ch === '\u007f' || ch === '\b') text = text.slice(0, -1);
        else text += ch;
      }
    };
    stdin.on('data', onData);
  });
}

/**
 * Warns when a file of secrets is readable or writable by others (as ssh does of a key
 * file): a keystore is sealed, but a copy lets anyone try passphrases offline.
 */
export function warnIfShared(what: string, file: string): void {
  let mode: number;
  try {
    mode = statSync(file).mode & 0o777;
  } catch {
    return; // reading it says what is wrong
  }
  if (mode & 0o077) process.stderr.write(printable(`parley: warning: ${what} ${file} is readable or writable by others (mode ${mode.toString(8)}): chmod 600 ${file}`, true) + '\n');
}
