/**
 * EventStoreDB store (`@eventstore/db-client` 6): the port is EventStoreDB's own model, so
 * this adapter mostly translates — event id = envelope id, expected revision = seq − 1 as a
 * BigInt or NO_STREAM, WrongExpectedVersionError → WrongExpectedRevisionError, `$all`
 * positions kept whole (commit and prepare). Event data is written as binary so the server
 * returns the exact bytes it was given (a JSON event would be re-serialised).
 *
 * Idempotency: EventStoreDB itself only recognises a retry at the revisions the retried
 * events were written at. That is the case for envelopes (a retry carries the same seq),
 * so this adapter checks the ids in that slot, and on a conflict also among the last
 * CONFLICT_SCAN events of the stream; it never scans a whole stream, so uniqueness of ids
 * elsewhere rests on the decider's `duplicate_id` rule. The server also answers a concurrent append of the same
 * ids with success, as it answers the one that wrote, whatever their type and data: each
 * append carries a random token in its events' metadata; only the append whose token was
 * stored reports `created`, and another compares what was stored with its own events.
 * An append left unanswered (deadline, timeout, lost connection) may have been written, so
 * its slot is read before the failure is reported, as EventStoreUnavailableError.
 *
 * Nonces live in one stream per nonce, `parley-nonce-<sha256(keyid \n nonce)>`, created with
 * expected revision NO_STREAM (the server arbitrates between instances) and given a
 * `$maxAge` so scavenging purges them; both nonce and system streams are hidden from the
 * global log.
 */
import {
  BACKWARDS,
  END,
  EventStoreDBClient,
  FORWARDS,
  NO_STREAM,
  START,
  CancelledError,
  DeadlineExceededError,
  MaxAppendSizeExceededError,
  NotLeaderError,
  StreamNotFoundError as EsdbStreamNotFoundError,
  TimeoutError,
  UnavailableError,
  WrongExpectedVersionError,
  binaryEvent,
  excludeSystemEvents,
  type AllStreamResolvedEvent,
  type AllStreamSubscription,
  type AppendResult as AppendToStreamResult,
  type ReadStreamOptions,
  type ResolvedEvent,
  type StreamingRead,
} from '@eventstore/db-client';
import { createHash, randomUUID } from 'node:crypto';
import { appendResult, planAppend, validateAppend, type StoredCopy } from '../append-plan';
import {
  EventStoreClosedError,
  EventStoreUnavailableError,
  InvalidArgumentError,
  StreamNotFoundError,
  WrongExpectedRevisionError,
  type AppendResult,
  type EventStore,
  type ExpectedRevision,
  type NewEvent,
  type ReadAllOptions,
  type RecordedEvent,
  type StreamHead,
  type SubscribeOptions,
  type Subscription,
} from '../event-store.port';
import { checkLimit, checkRevision, DEFAULT_READ_ALL_LIMIT } from '../read-arguments';
import { decodeEsdbPosition, encodeEsdbPosition, reportedEsdbPosition, type EsdbPosition } from './eventstoredb-position';

export const NONCE_STREAM_PREFIX = 'parley-nonce-';
/** Metadata member naming the append that wrote an event (see `created`). */
const APPEND_TOKEN = 'parleyAppend';
const READ_ALL_CHUNK = 512;
/**
 * How many events before a stream's head a conflict looks through for the batch's ids (a
 * retry with a stale expected revision). Not the whole stream: a channel may hold thousands
 * of envelopes of up to 1 MiB, and every lost race would read them all.
 */
const CONFLICT_SCAN = 100;

export interface EventStoreDbOptions {
  /** esdb://… or esdb+discover://… */
  connectionString: string;
}

/** The stream recording one used nonce. */
export function nonceStream(keyid: string, nonce: string): string {
  return NONCE_STREAM_PREFIX + createHash('sha256').update(`${keyid}\n${nonce}`).digest('hex');
}

/** Events of the global log that belong to Parley: not system, not nonce bookkeeping. */
export function isApplicationEvent(stream: string, type: string): boolean {
  return !stream.startsWith('$') && !type.startsWith('$') && !stream.startsWith(NONCE_STREAM_PREFIX);
}

type EsdbRecorded = NonNullable<ResolvedEvent['event']>;

export class EventStoreDbEventStore implements EventStore {
  private readonly subscriptions = new Set<EsdbSubscription>();
  /** Calls of the port under way: close() lets them finish before it disposes the client. */
  private readonly inFlight = new Set<Promise<unknown>>();
  private closed = false;
  private closing: Promise<void> | undefined;
  private disposed = false;

  /** `owned`: close() disposes the client. */
  constructor(
    readonly client: EventStoreDBClient,
    private readonly owned = true,
  ) {}

  /**
   * Connects and reads the first event of $all, so that a server that cannot be reached (or
   * read) stops the start at once, as PostgreSQL's does, instead of failing every request.
   */
  static async connect(options: EventStoreDbOptions): Promise<EventStoreDbEventStore> {
    const client = EventStoreDBClient.connectionString(options.connectionString);
    try {
      for await (const _first of cancelledIfLeft(client.readAll({ maxCount: 1 }))) break;
    } catch (err) {
      await client.dispose();
      throw new EventStoreUnavailableError(`EventStoreDB cannot be read: ${clientMessage(err)}`);
    }
    return new EventStoreDbEventStore(client);
  }

  append(stream: string, events: NewEvent[], expected: ExpectedRevision): Promise<AppendResult> {
    return this.run(() => this.write(stream, events, expected));
  }

  private async write(stream: string, events: NewEvent[], expected: ExpectedRevision): Promise<AppendResult> {
    validateAppend(stream, events, expected);
    const slot = expected === 'no_stream' ? 0 : expected + 1;
    const earlier = this.storedCopies(events, await this.readRange(stream, slot, events.length));
    if (earlier.size > 0) return this.planOrThrow(stream, events, expected, earlier);
    const token = randomUUID();
    let result: AppendToStreamResult;
    try {
      result = await this.client.appendToStream(
        stream,
        events.map((e) => binaryEvent({ id: e.id, type: e.type, data: Buffer.from(e.data, 'utf8'), metadata: { [APPEND_TOKEN]: token } })),
        { expectedRevision: expected === 'no_stream' ? NO_STREAM : BigInt(expected) },
      );
    } catch (error) {
      if (isUnanswered(error)) {
        // It may have been written all the same; or, for a duplicate of an append the server
        // has not finished (IdempotentNotReady), the server sends no answer at all.
        const outcome = await this.outcomeAt(stream, events, expected, slot, token);
        if (outcome) return outcome;
        throw error;
      }
      if (error instanceof MaxAppendSizeExceededError) {
        throw new InvalidArgumentError(`append to ${stream} exceeds the EventStoreDB server's maximum append size (EVENTSTORE_MAX_APPEND_SIZE): ${error.message}`);
      }
      if (!(error instanceof WrongExpectedVersionError)) throw error;
      // Lost a race, or a retry of events stored before others appended: look for the ids.
      const stored = await this.storedAfterConflict(stream, events, slot);
      if (stored.size > 0) return this.planOrThrow(stream, events, expected, stored);
      const actual = error.actualVersion;
      throw new WrongExpectedRevisionError(stream, expected, actual === NO_STREAM ? 'no_stream' : Number(actual));
    }
    const first = Number(result.nextExpectedRevision) - events.length + 1;
    const outcome = await this.outcomeAt(stream, events, expected, first, token, result.position);
    if (!outcome) throw new Error(`EventStoreDB reported an append to ${stream} at revision ${first} that the stream does not hold`);
    return outcome;
  }

  /**
   * What an append did whose events should be at `first`: created if the events there carry
   * its token. The server recognises a retry by event id alone and answers it with success,
   * so they may be another append's: then this one is an identical retry, or an
   * IdempotencyError if those ids hold other content. null if the ids are not there.
   */
  private async outcomeAt(
    stream: string,
    events: NewEvent[],
    expected: ExpectedRevision,
    first: number,
    token: string,
    fallback?: EsdbPosition,
  ): Promise<AppendResult | null> {
    const there = await this.readRange(stream, first, events.length);
    if (there.length === events.length && there.every((e) => appendTokenOf(e) === token)) {
      return appendResult(there.map((e) => ({ revision: Number(e.revision), position: positionOf(e, fallback) })), true);
    }
    const stored = this.storedCopies(events, there);
    return stored.size > 0 ? this.planOrThrow(stream, events, expected, stored) : null;
  }

  /** The batch's events among those at `slot` and the last CONFLICT_SCAN of the stream. */
  private async storedAfterConflict(stream: string, events: NewEvent[], slot: number): Promise<Map<string, StoredCopy>> {
    const atSlot = await this.readRange(stream, slot, events.length);
    const nearHead = await this.readEvents(stream, { direction: BACKWARDS, fromRevision: END, maxCount: CONFLICT_SCAN });
    return this.storedCopies(events, [...atSlot, ...nearHead]);
  }

  readStream(stream: string, fromRevision = 0, limit?: number): Promise<RecordedEvent[]> {
    return this.run(async () => {
      const events = await this.readRange(stream, checkRevision(fromRevision), checkLimit(limit, Number.MAX_SAFE_INTEGER), true);
      return events.map((e) => toRecordedEvent(e));
    });
  }

  streamHead(stream: string): Promise<StreamHead | null> {
    return this.run(async () => {
      const [last] = await this.readEvents(stream, { direction: BACKWARDS, fromRevision: END, maxCount: 1 });
      return last ? { revision: Number(last.revision), position: positionOf(last) } : null;
    });
  }

  logEnd(): Promise<string | undefined> {
    // Any event of $all, system ones included: readAll starts after a position, whatever is there.
    return this.run(async () => {
      for await (const resolved of this.consume(this.client.readAll({ direction: BACKWARDS, fromPosition: END, maxCount: 1 }))) {
        if (resolved.event) return encodeEsdbPosition(resolved.event.position);
      }
      return undefined;
    });
  }

  readAll(fromPosition?: string, limit?: number, options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    return this.run(() => this.readAllPage(fromPosition, limit, options.types && new Set(options.types), options.withoutData === true));
  }

  /**
   * `types`: filtered here, as the rest of $all is (the server would still send each event's
   * data); `withoutData` likewise: the data is sent, but not kept.
   */
  private async readAllPage(fromPosition?: string, limit?: number, types?: ReadonlySet<string>, withoutData = false): Promise<RecordedEvent[]> {
    const max = checkLimit(limit, DEFAULT_READ_ALL_LIMIT);
    const out: RecordedEvent[] = [];
    let cursor = fromPosition;
    // $all includes system and nonce events that are filtered out here, so read in chunks
    // until the page is full or the log ends.
    for (;;) {
      let read = 0;
      let last: string | undefined;
      const chunk = this.client.readAll({
        direction: FORWARDS,
        fromPosition: cursor === undefined ? START : decodeEsdbPosition(cursor),
        maxCount: READ_ALL_CHUNK,
      });
      // Leaving with a full page cancels the rest of the chunk (see cancelledIfLeft).
      for await (const resolved of this.consume(chunk)) {
        read++;
        const event = resolved.event;
        if (!event) continue;
        const position = encodeEsdbPosition(event.position);
        if (cursor !== undefined && position <= cursor) continue; // the server's start is inclusive
        last = position;
        if (isApplicationEvent(event.streamId, event.type) && (!types || types.has(event.type))) out.push(toRecordedEvent(event, !withoutData));
        if (out.length === max) return out;
      }
      if (read < READ_ALL_CHUNK || last === undefined) return out;
      cursor = last;
    }
  }

  subscribeToAll(fromPosition?: string, options: SubscribeOptions = {}): Subscription {
    this.assertOpen();
    void options; // the client streams with gRPC flow control; there are no pages to size
    const subscription = new EsdbSubscription(
      this.client.subscribeToAll({
        fromPosition: fromPosition === undefined ? START : decodeEsdbPosition(fromPosition),
        filter: excludeSystemEvents(),
      }),
      fromPosition,
      (s) => this.subscriptions.delete(s),
    );
    this.subscriptions.add(subscription);
    return subscription;
  }

  rememberNonce(keyid: string, nonce: string, expiresAtMs: number, nowMs = Date.now()): Promise<boolean> {
    return this.run(() => this.recordNonce(keyid, nonce, expiresAtMs, nowMs));
  }

  private async recordNonce(keyid: string, nonce: string, expiresAtMs: number, nowMs: number): Promise<boolean> {
    const stream = nonceStream(keyid, nonce);
    const record = (expected: typeof NO_STREAM | bigint) =>
      this.client.appendToStream(
        stream,
        binaryEvent({ type: 'NonceUsed', data: Buffer.from(JSON.stringify({ keyid, nonce, expiresAtMs }), 'utf8') }),
        { expectedRevision: expected },
      );
    try {
      await record(NO_STREAM);
      const maxAge = Math.max(1, Math.ceil((expiresAtMs - nowMs) / 1000));
      await this.client.setStreamMetadata(stream, { maxAge });
      return true;
    } catch (error) {
      if (!(error instanceof WrongExpectedVersionError) || error.actualVersion === NO_STREAM) throw error;
      // Used before: a replay, unless that use has expired (then renew it, racing safely on the revision).
      const last = await this.readLastNonceUse(stream);
      if (last !== null && last > nowMs) return false;
      try {
        await record(error.actualVersion);
        return true;
      } catch (again) {
        if (again instanceof WrongExpectedVersionError) return false;
        throw again;
      }
    }
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  /**
   * As the SQL adapters drain their queues: calls made before close() are answered in full
   * (an append lands or fails before close resolves, a read is not cut short); later calls
   * are EventStoreClosedError.
   */
  private async shutdown(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.inFlight]);
    await Promise.all([...this.subscriptions].map((s) => s.close()));
    if (!this.owned) return;
    this.disposed = true;
    await this.client.dispose();
  }

  /**
   * Runs one call of the port, refused once closed, and remembered until it settles (see
   * shutdown). Client errors leave as the port's (portError).
   */
  private run<T>(call: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new EventStoreClosedError());
    const running = call().catch((error: unknown) => {
      throw portError(error);
    });
    this.inFlight.add(running);
    const forget = () => this.inFlight.delete(running);
    running.then(forget, forget);
    return running;
  }

  /**
   * A client read, cancelled if left early (cancelledIfLeft). When the client is disposed it
   * ends a read quietly, as if the server had nothing more; such an end is
   * EventStoreClosedError, never a short answer. (shutdown lets reads finish before it
   * disposes, so this guards a read that would outlive it.)
   */
  private async *consume<E>(read: StreamingRead<E>): AsyncGenerator<E> {
    yield* cancelledIfLeft(read);
    if (this.disposed) throw new EventStoreClosedError();
  }

  /** Events of `stream` from `from`, at most `count`; [] for a missing stream unless `mustExist`. */
  private readRange(stream: string, from: number, count: number, mustExist = false): Promise<EsdbRecorded[]> {
    return this.readEvents(stream, { direction: FORWARDS, fromRevision: BigInt(from), maxCount: count }, mustExist);
  }

  /** Events of `stream` as `options` select them; [] for a missing stream unless `mustExist`. */
  private async readEvents(stream: string, options: ReadStreamOptions, mustExist = false): Promise<EsdbRecorded[]> {
    const events: EsdbRecorded[] = [];
    try {
      for await (const resolved of this.consume(this.client.readStream(stream, options))) if (resolved.event) events.push(resolved.event);
    } catch (error) {
      if (!(error instanceof EsdbStreamNotFoundError)) throw error;
      if (mustExist) throw new StreamNotFoundError(stream);
    }
    return events;
  }

  private storedCopies(events: NewEvent[], candidates: EsdbRecorded[]): Map<string, StoredCopy> {
    const wanted = new Map(events.map((e) => [e.id, e]));
    const stored = new Map<string, StoredCopy>();
    for (const c of candidates) {
      const mine = wanted.get(c.id);
      if (!mine) continue;
      const sameContent = c.type === mine.type && dataText(c) === mine.data;
      stored.set(c.id, { id: c.id, revision: Number(c.revision), position: positionOf(c), sameContent });
    }
    return stored;
  }

  private planOrThrow(stream: string, events: NewEvent[], expected: ExpectedRevision, stored: Map<string, StoredCopy>): AppendResult {
    const plan = planAppend(stream, events, expected, null, stored);
    if (plan.kind !== 'retry') throw new Error('unreachable: stored copies always plan a retry');
    return plan.result;
  }

  /** null: expired by $maxAge and scavenged. */
  private async readLastNonceUse(stream: string): Promise<number | null> {
    const [last] = await this.readEvents(stream, { direction: BACKWARDS, fromRevision: END, maxCount: 1 });
    return last ? (JSON.parse(dataText(last)) as { expiresAtMs: number }).expiresAtMs : null;
  }

  private assertOpen(): void {
    if (this.closed) throw new EventStoreClosedError();
  }
}

/** Wraps the client's catch-up subscription: exclusive start, application events only. */
class EsdbSubscription implements Subscription {
  private closed = false;

  constructor(
    private readonly source: AllStreamSubscription,
    private readonly after: string | undefined,
    private readonly onClose: (s: EsdbSubscription) => void,
  ) {}

  async *[Symbol.asyncIterator](): AsyncIterator<RecordedEvent> {
    try {
      for await (const resolved of this.source as AsyncIterable<AllStreamResolvedEvent>) {
        const event = resolved.event;
        if (!event) continue;
        // The server starts after the given position, as the port's exclusive start wants;
        // the check only keeps that promise should a server ever resend the event there.
        if (this.after !== undefined && encodeEsdbPosition(event.position) <= this.after) continue;
        if (isApplicationEvent(event.streamId, event.type)) yield toRecordedEvent(event);
      }
    } catch (error) {
      throw portError(error);
    } finally {
      await this.close();
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.onClose(this);
    await this.source.unsubscribe().catch(() => undefined);
  }
}

/**
 * Iterates a client read and cancels it if the loop is left before the read ends (a break,
 * a return, a throw). The client does not: reads have no deadline and gRPC sends only as
 * fast as the reader takes, so an abandoned read holds its HTTP/2 stream until the
 * connection closes, and once the server's limit per connection (Kestrel: 100) is reached
 * every further call waits.
 */
async function* cancelledIfLeft<E>(read: StreamingRead<E>): AsyncGenerator<E> {
  let left = true;
  try {
    for await (const item of read) yield item as E;
    left = false;
  } catch (error) {
    // The read failed, so it is over: cancelling it as well (after a StreamNotFound, say)
    // would only reset a finished call, which can break the connection under way.
    left = false;
    throw error;
  } finally {
    if (left) await read.cancel();
  }
}

/** An append that got no answer in time, or none at all: the server may have written it. */
function isUnanswered(error: unknown): boolean {
  return error instanceof DeadlineExceededError || error instanceof TimeoutError || error instanceof UnavailableError;
}

/**
 * The port's error for a client error. A server that cannot be reached, dropped the call, is
 * not the leader (the client reconnects for the next call) or did not answer in time is
 * EventStoreUnavailableError: a retry may succeed, and an append's retry is recognised by
 * its event ids. Others are left as they are.
 */
function portError(error: unknown): unknown {
  const transient = [UnavailableError, CancelledError, NotLeaderError, DeadlineExceededError, TimeoutError];
  if (!transient.some((type) => error instanceof type)) return error;
  return new EventStoreUnavailableError(`the event store (EventStoreDB) is unavailable: ${clientMessage(error)}`);
}

/** The client's message: it names the host, never the URL (which may hold a password). */
function clientMessage(error: unknown): string {
  return (error as Error).message.replace(/\s*Resolution note:\s*$/, '');
}

/** The token of the append that wrote `event`; the client hands back JSON metadata parsed. */
function appendTokenOf(event: EsdbRecorded): string | undefined {
  const metadata = event.metadata as unknown;
  return typeof metadata === 'object' && metadata !== null && !(metadata instanceof Uint8Array)
    ? (metadata as Record<string, unknown>)[APPEND_TOKEN] as string | undefined
    : undefined;
}

function dataText(event: EsdbRecorded): string {
  const data = event.data as unknown;
  if (data instanceof Uint8Array) return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8');
  return typeof data === 'string' ? data : JSON.stringify(data);
}

/** The event's $all position; where the server did not report it (see reportedEsdbPosition), the append's. */
function positionOf(event: EsdbRecorded, fallback?: EsdbPosition): string {
  const position = reportedEsdbPosition(event.position) ?? reportedEsdbPosition(fallback);
  if (!position) {
    throw new Error(`EventStoreDB did not report the position of event ${event.id} in ${event.streamId} (servers before 22.6 never do on stream reads)`);
  }
  return encodeEsdbPosition(position);
}

function toRecordedEvent(event: EsdbRecorded, withData = true): RecordedEvent {
  return {
    stream: event.streamId,
    id: event.id,
    type: event.type,
    revision: Number(event.revision),
    position: positionOf(event),
    data: withData ? dataText(event) : '',
    createdAt: event.created.toISOString(),
  };
}
