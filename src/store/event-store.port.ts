/**
 * The event store port (DESIGN.md Part 2), with EventStoreDB's semantics so that every
 * adapter — SQLite, PostgreSQL, EventStoreDB — behaves the same to its callers:
 * one stream per channel, optimistic appends against an expected revision, idempotency by
 * event id, and one global log that can be read and followed from any position.
 */
import { isUuid } from '../protocol';
export * from './event-store.errors';

/** Nest DI token for the EventStore instance. */
export const EVENT_STORE = Symbol('EVENT_STORE');

/** 'no_stream': the stream must not exist yet; a number: the exact revision of its last event. */
export type ExpectedRevision = 'no_stream' | number;

/** An event to append. `data` is the envelope JSON text, stored and returned byte for byte. */
export interface NewEvent {
  /** A uuid; the envelope id. Unique within its stream. */
  id: string;
  type: string;
  data: string;
}

/**
 * An event as stored. `revision` is 0-based within the stream (= envelope seq).
 * `position` is an opaque string whose plain string order is the global log's order.
 */
export interface RecordedEvent {
  stream: string;
  id: string;
  type: string;
  revision: number;
  position: string;
  data: string;
  /** ISO time the store wrote it, where the store records one. */
  createdAt?: string;
}

export interface AppendedEvent {
  revision: number;
  position: string;
}

export interface AppendResult {
  /**
   * Revision of the stream's last event after this append — the `expected` to pass for the
   * next one (EventStoreDB's nextExpectedRevision). For an idempotent retry, that of the
   * retried events' last one.
   */
  nextRevision: number;
  /** Position of the last event of this append. */
  position: string;
  /** One entry per appended event, in order. */
  events: AppendedEvent[];
  /** False when every event was already stored (an identical retry): nothing was written. */
  created: boolean;
}

export interface StreamHead {
  revision: number;
  position: string;
}

export interface SubscribeOptions {
  /** Events read per page while catching up (default 256). */
  batchSize?: number;
  /** When idle, how often to look for appends that no notification announced (ms). */
  pollIntervalMs?: number;
}

/**
 * A catch-up subscription to the global log: delivers every event after the starting
 * position in log order, then live ones, with no gap and no duplicate. It reads a page only
 * when the consumer asks for more, so a slow consumer never makes it buffer without bound.
 */
export interface Subscription extends AsyncIterable<RecordedEvent> {
  /** Ends the iteration (a pending `next()` resolves done) and frees its resources. */
  close(): Promise<void>;
}

/** Single-use request-signature nonces (RFC 9421 `nonce`), shared by all instances. */
export interface NonceStore {
  /**
   * Records `(keyid, nonce)` as used until `expiresAtMs` (epoch ms). Resolves false when it
   * was already recorded and has not expired — the request is a replay. Expired records are
   * purged. `nowMs` is for tests.
   */
  rememberNonce(keyid: string, nonce: string, expiresAtMs: number, nowMs?: number): Promise<boolean>;
}

export interface EventStore extends NonceStore {
  /**
   * Appends `events` (non-empty) to `stream` if its last revision is `expected`.
   * Idempotent by event id: if every event is already in the stream with the same type and
   * data, resolves with their original revisions and positions (`created: false`) whatever
   * `expected` is now. Rejects with WrongExpectedRevisionError, IdempotencyError (same id,
   * other content, or a batch only partly stored) or InvalidArgumentError.
   */
  append(stream: string, events: NewEvent[], expected: ExpectedRevision): Promise<AppendResult>;

  /** The stream's events from `fromRevision` on, at most `limit`. StreamNotFoundError if it has none. */
  readStream(stream: string, fromRevision?: number, limit?: number): Promise<RecordedEvent[]>;

  /** Revision and position of the stream's last event, or null if the stream does not exist. */
  streamHead(stream: string): Promise<StreamHead | null>;

  /**
   * A page of the global log: events strictly after `fromPosition` (from the start if
   * undefined). With `types`, only events of those types (up to `limit` of them): a reader
   * that needs a few small event types does not load every envelope's body to skip it.
   */
  readAll(fromPosition?: string, limit?: number, options?: ReadAllOptions): Promise<RecordedEvent[]>;

  /**
   * The position of the global log's last event (undefined while it is empty). Every event up
   * to it is readable once this answers, so a reader of some types only (ReadAllOptions) may
   * continue after it: what it skipped there was of other types.
   */
  logEnd(): Promise<string | undefined>;

  /** Follows the global log from strictly after `fromPosition` (from the start if undefined). */
  subscribeToAll(fromPosition?: string, options?: SubscribeOptions): Subscription;

  /** Ends open subscriptions and releases connections and files. */
  close(): Promise<void>;
}

export interface ReadAllOptions {
  types?: readonly string[];
  /**
   * Events with `data` empty: for a reader that needs where the log stands, not what it
   * says (the projection's read-your-writes target), so that it loads no envelope to learn it.
   */
  withoutData?: boolean;
}

/** Orders two positions of the same store as the global log does. */
export function comparePositions(a: string, b: string): number {
  // Every adapter encodes positions as fixed-width digits, so code-unit order is log order.
  return a < b ? -1 : a > b ? 1 : 0;
}

export const CHANNEL_STREAM_PREFIX = 'parley-channel-';

/** The stream of a channel: `parley-channel-<uuid>`. */
export function channelStream(channelId: string): string {
  if (!isUuid(channelId)) throw new TypeError(`not a channel uuid: ${channelId}`);
  return CHANNEL_STREAM_PREFIX + channelId;
}

/** The channel uuid of a `parley-channel-<uuid>` stream, or null for any other stream. */
export function channelOfStream(stream: string): string | null {
  if (!stream.startsWith(CHANNEL_STREAM_PREFIX)) return null;
  const id = stream.slice(CHANNEL_STREAM_PREFIX.length);
  return isUuid(id) ? id : null;
}
