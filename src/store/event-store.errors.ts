/**
 * Typed failures of the event store port. Each carries what a caller needs to decide and
 * retry without parsing a message: the stream, and for a conflict the actual head.
 */
import type { ExpectedRevision } from './event-store.port';

export abstract class EventStoreError extends Error {
  abstract readonly code: string;
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** The stream's last revision is not the one the append expected (HTTP 409 with the head). */
export class WrongExpectedRevisionError extends EventStoreError {
  readonly code = 'wrong_expected_revision';
  constructor(
    readonly stream: string,
    readonly expected: ExpectedRevision,
    readonly actual: number | 'no_stream',
  ) {
    super(`append to ${stream} expected revision ${expected}, but the stream is at ${actual}`);
  }
}

/** An event id already in the stream was appended again with another type or data. */
export class IdempotencyError extends EventStoreError {
  readonly code = 'idempotency_conflict';
  constructor(
    readonly stream: string,
    readonly eventId: string,
    reason: string,
  ) {
    super(`event ${eventId} in ${stream}: ${reason}`);
  }
}

/** Reading a stream that has no event. */
export class StreamNotFoundError extends EventStoreError {
  readonly code = 'stream_not_found';
  constructor(readonly stream: string) {
    super(`stream ${stream} not found`);
  }
}

/** A position string that this store did not produce (e.g. one from another adapter). */
export class InvalidPositionError extends EventStoreError {
  readonly code = 'invalid_position';
  constructor(readonly position: string) {
    super(`not a position of this event store: ${JSON.stringify(position)}`);
  }
}

/** An append or read whose arguments can never succeed (empty batch, bad revision…). */
export class InvalidArgumentError extends EventStoreError {
  readonly code = 'invalid_argument';
}

/** The store was closed; no further calls are served. */
export class EventStoreClosedError extends EventStoreError {
  readonly code = 'closed';
  constructor() {
    super('the event store is closed');
  }
}

/** The store's server cannot be reached or read, at start-up or mid-run (the service answers 503: see store-unavailable.ts). */
export class EventStoreUnavailableError extends EventStoreError {
  readonly code = 'unavailable';
}

/** PARLEY_STORE and friends do not describe a usable store. */
export class EventStoreConfigError extends EventStoreError {
  readonly code = 'config';
}
