/**
 * The decision every SQL adapter takes for one append, as pure functions: given the
 * stream's head and whichever of the batch's ids the stream already holds, either the
 * append is an identical retry (answer the stored revisions), or it is written at
 * head + 1, or it fails with a typed error. Idempotency is checked before the expected
 * revision, so a retry succeeds even after others appended behind it.
 */
import {
  IdempotencyError,
  InvalidArgumentError,
  WrongExpectedRevisionError,
  type AppendResult,
  type ExpectedRevision,
  type NewEvent,
} from './event-store.port';

/** An event of the batch that the stream already holds. */
export interface StoredCopy {
  id: string;
  revision: number;
  position: string;
  /** Whether the stored type and data equal the ones being appended. */
  sameContent: boolean;
}

export type AppendPlan = { kind: 'retry'; result: AppendResult } | { kind: 'write'; firstRevision: number };

export const MAX_STREAM_NAME_LENGTH = 512;

/** Throws InvalidArgumentError for arguments that can never be appended. */
export function validateAppend(stream: string, events: readonly NewEvent[], expected: ExpectedRevision): void {
  if (typeof stream !== 'string' || stream.length === 0 || stream.length > MAX_STREAM_NAME_LENGTH) {
    throw new InvalidArgumentError(`stream name must be 1..${MAX_STREAM_NAME_LENGTH} characters`);
  }
  if (stream.startsWith('$')) throw new InvalidArgumentError(`stream names starting with $ are reserved: ${stream}`);
  if (expected !== 'no_stream' && !(Number.isSafeInteger(expected) && expected >= 0)) {
    throw new InvalidArgumentError(`expected revision must be 'no_stream' or an integer ≥ 0, got ${String(expected)}`);
  }
  if (!Array.isArray(events) || events.length === 0) throw new InvalidArgumentError('an append needs at least one event');
  const ids = new Set<string>();
  for (const e of events) {
    if (typeof e?.id !== 'string' || e.id.length === 0) throw new InvalidArgumentError('every event needs an id');
    if (typeof e.type !== 'string' || e.type.length === 0) throw new InvalidArgumentError(`event ${e.id} needs a type`);
    if (e.type.startsWith('$')) throw new InvalidArgumentError(`event types starting with $ are reserved: ${e.type}`);
    if (typeof e.data !== 'string') throw new InvalidArgumentError(`event ${e.id}: data must be a string`);
    if (ids.has(e.id)) throw new InvalidArgumentError(`event id ${e.id} appears twice in one append`);
    ids.add(e.id);
  }
}

/**
 * Decides one append. `head` is the revision of the stream's last event (null: no stream);
 * `stored` holds the batch's events that the stream already contains, by id.
 */
export function planAppend(
  stream: string,
  events: readonly NewEvent[],
  expected: ExpectedRevision,
  head: number | null,
  stored: ReadonlyMap<string, StoredCopy>,
): AppendPlan {
  if (stored.size > 0) return { kind: 'retry', result: retryResult(stream, events, stored) };
  const actual = head === null ? 'no_stream' : head;
  if (expected !== actual) throw new WrongExpectedRevisionError(stream, expected, actual);
  return { kind: 'write', firstRevision: head === null ? 0 : head + 1 };
}

function retryResult(stream: string, events: readonly NewEvent[], stored: ReadonlyMap<string, StoredCopy>): AppendResult {
  const copies: StoredCopy[] = [];
  for (const e of events) {
    const copy = stored.get(e.id);
    if (copy && !copy.sameContent) {
      throw new IdempotencyError(stream, e.id, 'already stored with another type or data');
    }
    if (copy) copies.push(copy);
  }
  const missing = events.find((e) => !stored.has(e.id));
  if (missing) {
    throw new IdempotencyError(stream, missing.id, 'only part of this append is already stored, so it is not a retry');
  }
  for (let i = 1; i < copies.length; i++) {
    if (copies[i].revision !== copies[i - 1].revision + 1) {
      throw new IdempotencyError(stream, copies[i].id, 'already stored, but not in the order of this append');
    }
  }
  return appendResult(copies, false);
}

/** The answer for events stored at the given revisions and positions. */
export function appendResult(written: readonly { revision: number; position: string }[], created: boolean): AppendResult {
  const last = written[written.length - 1];
  return {
    nextRevision: last.revision,
    position: last.position,
    events: written.map(({ revision, position }) => ({ revision, position })),
    created,
  };
}
