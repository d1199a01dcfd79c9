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

/** One append of a batch, as the adapters queue it. */
export interface AppendRequest {
  stream: string;
  events: NewEvent[];
  expected: ExpectedRevision;
}

/** Validates an append and copies its events (the caller may reuse its array while the append waits for its batch). */
export function appendRequest(stream: string, events: NewEvent[], expected: ExpectedRevision): AppendRequest {
  validateAppend(stream, events, expected);
  return { stream, events: events.map(({ id, type, data }) => ({ id, type, data })), expected };
}

/** What the database holds for a batch, fetched before planning it. */
export interface BatchSnapshot {
  /** Last revision of each stream the batch touches (null: no stream). */
  heads: ReadonlyMap<string, number | null>;
  /** Stored events whose ids the batch carries, by `streamIdKey`. */
  stored: ReadonlyMap<string, StoredCopy>;
}

/** A row to insert for a planned write; `request` is its index in the batch. */
export interface PlannedRow {
  request: number;
  stream: string;
  revision: number;
  event: NewEvent;
}

export type PlannedOutcome = { kind: 'done'; outcome: { ok: true; value: AppendResult } | { ok: false; error: unknown } } | { kind: 'write' };

export function streamIdKey(stream: string, id: string): string {
  return `${stream}\u0000${id}`;
}

/**
 * Plans a batch in memory against a snapshot taken inside the writing transaction: each
 * request sees the heads left by the batch's earlier requests, and a refused request
 * writes nothing. `planned` is the prefix of `requests` that was planned: planning stops
 * before a request that carries an event id written earlier in the same batch, since its
 * retry answer needs positions that exist only after the insert — the caller inserts,
 * then plans the rest against a new snapshot.
 */
export function planBatch(
  requests: readonly AppendRequest[],
  snapshot: BatchSnapshot,
): { planned: number; outcomes: PlannedOutcome[]; rows: PlannedRow[] } {
  const heads = new Map(snapshot.heads);
  const writtenIds = new Set<string>();
  const outcomes: PlannedOutcome[] = [];
  const rows: PlannedRow[] = [];
  for (const [index, { stream, events, expected }] of requests.entries()) {
    const keys = events.map((e) => streamIdKey(stream, e.id));
    if (keys.some((k) => writtenIds.has(k))) break;
    const stored = new Map<string, StoredCopy>();
    for (const [i, key] of keys.entries()) {
      const copy = snapshot.stored.get(key);
      if (copy) stored.set(events[i].id, copy);
    }
    let plan: AppendPlan;
    try {
      plan = planAppend(stream, events, expected, heads.get(stream) ?? null, stored);
    } catch (error) {
      outcomes.push({ kind: 'done', outcome: { ok: false, error } });
      continue;
    }
    if (plan.kind === 'retry') {
      outcomes.push({ kind: 'done', outcome: { ok: true, value: plan.result } });
      continue;
    }
    const first = plan.firstRevision;
    events.forEach((event, i) => rows.push({ request: index, stream, revision: first + i, event }));
    keys.forEach((k) => writtenIds.add(k));
    heads.set(stream, first + events.length - 1);
    outcomes.push({ kind: 'write' });
  }
  return { planned: outcomes.length, outcomes, rows };
}

/**
 * The plan of a batch on the assumption that every request's expected revision holds and
 * none of its ids is stored: the heads that assumes (each stream's first expected revision)
 * and the rows to insert. The database then only has to confirm those heads and the absence
 * of those ids (one statement, PostgreSQL's fast path). Null when the batch cannot all be
 * written even then (two requests expecting one revision, an id twice): plan it against a
 * real snapshot.
 */
export function optimisticPlan(requests: readonly AppendRequest[]): { heads: Map<string, number | null>; rows: PlannedRow[] } | null {
  const heads = new Map<string, number | null>();
  for (const { stream, expected } of requests) if (!heads.has(stream)) heads.set(stream, expected === 'no_stream' ? null : expected);
  const { planned, outcomes, rows } = planBatch(requests, { heads, stored: new Map() });
  if (planned < requests.length || outcomes.some((o) => o.kind !== 'write')) return null;
  return { heads, rows };
}
