/**
 * What can go wrong in the SDK, as types a caller (and the CLI's exit codes) can tell apart:
 * the server refused (ApiError), could not be reached (ServerUnreachableError), the rules
 * refuse an event before it is sent (RuleViolationError), the log does not verify
 * (ChannelIntegrityError), or a keystore does not open (WrongPassphraseError, KeystoreError).
 */
import type { Violation, ViolationCode } from '../protocol';

/** A 4xx/5xx answer: `code` and `message` are the server's `error` and `message`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly body: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export class ServerUnreachableError extends Error {
  /** The socket error code (`ECONNREFUSED`, `ECONNRESET`, …) or the cause's message. */
  readonly reason: string;
  constructor(readonly server: string, cause: unknown) {
    const reason = describeCause(cause);
    super(`cannot reach ${server}: ${reason}`, { cause });
    this.name = 'ServerUnreachableError';
    this.reason = reason;
  }
}

/**
 * An append went out but its answer never came, and no later read could tell whether it
 * was stored. The envelope id is what to look for before sending the same thing again.
 */
export class AppendOutcomeUnknownError extends ServerUnreachableError {
  constructor(server: string, cause: unknown, readonly envelopeId: string) {
    super(server, cause);
    this.name = 'AppendOutcomeUnknownError';
    // The server answered, but not whether the append was stored (a read refused after it).
    if (cause instanceof ApiError) this.message = `${server} did not tell whether an append was stored (${cause.status} ${cause.code}: ${cause.message})`;
    this.message += `; event ${envelopeId} may have been stored: look for its id in the channel's log (ChannelSession.sync; parley tail --json) before sending it again`;
  }
}

/**
 * A request that outlived the client's deadline (`timeoutMs`): the server took the request but
 * its answer did not come, or did not finish, in time — a stalled or trickling server. It is
 * reported as unreachable, since to the caller the two are the same: no answer.
 */
export class ServerTimeoutError extends ServerUnreachableError {
  constructor(server: string, readonly timeoutMs: number, what: string) {
    super(server, new Error(`${what} within ${seconds(timeoutMs)}`));
    this.name = 'ServerTimeoutError';
  }
}

/** The server answered something that is not what DESIGN.md Part 3 says it answers. */
export class UnexpectedResponseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnexpectedResponseError';
  }
}

/** The rule engine refuses an event locally, before any round trip. */
export class RuleViolationError extends Error {
  readonly code: ViolationCode;
  constructor(violation: Violation) {
    super(violation.message);
    this.name = 'RuleViolationError';
    this.code = violation.code;
  }
}

/** The channel's log, as served, does not verify: nothing after `seq` is trusted. */
export class ChannelIntegrityError extends Error {
  constructor(
    readonly code: ViolationCode,
    readonly seq: number | null,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`the channel log does not verify at seq ${seq ?? '?'}: ${message}`, options);
    this.name = 'ChannelIntegrityError';
  }
}

/** A chain conflict outlasted the retries (someone else keeps appending). */
export class RetriesExhaustedError extends Error {
  constructor(attempts: number, readonly last: ApiError) {
    super(`the channel head kept moving; gave up after ${attempts} attempts (${last.code}: ${last.message}). Nothing was stored: it is safe to try again`);
    this.name = 'RetriesExhaustedError';
  }
}

export class KeystoreError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KeystoreError';
  }
}

export class WrongPassphraseError extends KeystoreError {
  constructor() {
    // The seal cannot tell the two apart: a changed byte fails as a wrong passphrase does.
    super('wrong passphrase, or the keystore file was altered: it does not open with this passphrase');
    this.name = 'WrongPassphraseError';
  }
}

function describeCause(cause: unknown): string {
  if (cause instanceof ServerUnreachableError) return cause.reason;
  // fetch's TypeError "fetch failed" says nothing; its cause says why (a socket code, or "bad port").
  const inner = (cause as { cause?: { code?: string; message?: string } })?.cause;
  if (inner?.code) return inner.code;
  if (inner?.message) return inner.message;
  return (cause as Error)?.message ?? String(cause);
}

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}
