/** Errors of the command line itself, and how every error maps to an exit code (EXIT). */
import {
  ApiError,
  ChannelIntegrityError,
  KeystoreError,
  RetriesExhaustedError,
  RuleViolationError,
  ServerUnreachableError,
  UnexpectedResponseError,
} from '../../client';
import { printable } from './output';

/** Bad arguments or unusable input: exit 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

// Kept here (not imported from main.ts) so commands do not load the entry point.
/** `outputClosed`: what a shell reports for a command ended by SIGPIPE (128 + 13). */
export const EXIT = { ok: 0, refused: 1, usage: 2, unreachable: 3, outputClosed: 141 } as const;

export interface Failure {
  exit: number;
  code: string;
  message: string;
  status?: number;
  seq?: number | null;
}

/** What the user is told: the server's `error` code and `message`, or ours. */
export function describeFailure(err: unknown): Failure {
  if (err instanceof ApiError) {
    const seq = typeof err.body.seq === 'number' ? err.body.seq : undefined;
    // A 5xx is the server failing for now (unavailable: its store unreachable, a full disk),
    // not a verdict on the request: exit 3, as for a server that cannot be reached.
    return { exit: err.status >= 500 ? EXIT.unreachable : EXIT.refused, code: err.code, message: err.message, status: err.status, seq };
  }
  if (err instanceof RuleViolationError) return { exit: EXIT.refused, code: err.code, message: err.message };
  if (err instanceof ChannelIntegrityError) return { exit: EXIT.refused, code: err.code, message: err.message, seq: err.seq };
  if (err instanceof RetriesExhaustedError) return { exit: EXIT.refused, code: err.last.code, message: err.message };
  if (err instanceof ServerUnreachableError) return { exit: EXIT.unreachable, code: 'unreachable', message: err.message };
  if (err instanceof KeystoreError) {
    return { exit: EXIT.usage, code: err.name === 'WrongPassphraseError' ? 'wrong_passphrase' : 'keystore', message: err.message };
  }
  if (err instanceof UsageError) return { exit: EXIT.usage, code: 'usage', message: err.message };
  if (err instanceof UnexpectedResponseError) return { exit: EXIT.refused, code: 'unexpected_response', message: err.message };
  return { exit: EXIT.usage, code: 'error', message: (err as Error)?.message ?? String(err) };
}

/**
 * How every command reports a failure: with --json one document on standard output,
 * `{ ok: false, error, message }` (and the answer's `status`, the `seq` in question, when
 * known); else `parley: <code>: <message>` on standard error.
 */
export function printFailure(failure: Failure, json: boolean): void {
  if (json) process.stdout.write(JSON.stringify({ ok: false, error: failure.code, message: failure.message, ...pick(failure) }) + '\n');
  else process.stderr.write(printable(`parley: ${failure.code}: ${failure.message}`, true) + '\n');
}

function pick(f: Failure): Record<string, unknown> {
  const extra: Record<string, unknown> = {};
  if (f.status !== undefined) extra.status = f.status;
  if (f.seq !== undefined) extra.seq = f.seq;
  return extra;
}
