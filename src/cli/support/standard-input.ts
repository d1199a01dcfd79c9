import { readFileSync } from 'node:fs';
import { isatty } from 'node:tty';
import { decodeUtf8Strict } from '../../protocol';
import { UsageError } from './cli-errors';

let stdinText: string | undefined;

/** Standard input as text, read once: a command drafts its event again on each attempt. */
export function standardInput(): string {
  if (stdinText === undefined) {
    // isatty, not process.stdin.isTTY: that would open fd 0 as a non-blocking tty stream, and
    // the read below would then fail with EAGAIN before anything was typed.
    if (isatty(0)) process.stderr.write('parley: reading standard input; end it with Ctrl-D\n');
    try {
      stdinText = decodeUtf8Strict(readFileSync(0));
    } catch (err) {
      throw new UsageError(`standard input: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }
  return stdinText;
}
