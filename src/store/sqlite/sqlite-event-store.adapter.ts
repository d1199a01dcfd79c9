/**
 * The embedded default store: one SQLite file (better-sqlite3), WAL, synchronous=FULL,
 * with group commit so that durability does not cost throughput.
 *
 * better-sqlite3 is synchronous, so a batch is decided and written inside one IMMEDIATE
 * transaction without any other JavaScript interleaving; each append is checked against the
 * state that includes the batch's earlier appends, and a conflicting one fails alone because
 * it is rejected before it writes anything.
 */
import Database from 'better-sqlite3';
import { appendRequest, appendResult, planAppend, type AppendRequest, type StoredCopy } from '../append-plan';
import { ChangeSignal } from '../change-signal';
import {
  EventStoreClosedError,
  EventStoreError,
  StreamNotFoundError,
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
import { GroupCommitQueue, type BatchOutcome } from '../group-commit.queue';
import { PollingSubscription } from '../polling-subscription';
import { checkLimit, checkRevision, DEFAULT_READ_ALL_LIMIT } from '../read-arguments';
import { EVENT_COLUMNS, EVENT_COLUMNS_WITHOUT_DATA } from '../sql-columns';
import { decodeSqlPosition, encodeSqlPosition } from '../sql-position';
import { SQLITE_SCHEMA, sqlitePragmas, type SqliteSynchronous } from './sqlite-schema';
import { createOwnerOnly } from './owner-only-file';

export interface SqliteEventStoreOptions {
  /** Path of the database file; its directory is created if missing. */
  file: string;
  /** Batch concurrent appends into one transaction (default true). */
  groupCommit?: boolean;
  /** FULL (default) survives power loss; NORMAL only survives a process crash (benchmark baseline). */
  synchronous?: SqliteSynchronous;
  /** How often idle subscriptions look for commits made by other processes (default 50 ms). */
  pollIntervalMs?: number;
  /** How long to wait for another process's write lock (default 5000 ms). */
  busyTimeoutMs?: number;
}

interface EventRow {
  position: number;
  stream: string;
  revision: number;
  id: string;
  type: string;
  data: string;
  created_at: number;
}

/** readAll's statement: all events after a position, or (`ofTypes`) those of the types in a JSON array. */
const readAllSql = (columns: string, ofTypes: boolean) =>
  `SELECT ${columns} FROM events WHERE position > ?${ofTypes ? ' AND type IN (SELECT value FROM json_each(?))' : ''} ORDER BY position LIMIT ?`;

export class SqliteEventStore implements EventStore {
  /** The better-sqlite3 handle, for tables that must live in the same file (read models, …). */
  readonly database: Database.Database;
  private readonly changes = new ChangeSignal();
  private readonly queue: GroupCommitQueue<AppendRequest, AppendResult>;
  private readonly subscriptions = new Set<PollingSubscription>();
  private readonly pollIntervalMs: number;
  private watcher: NodeJS.Timeout | null = null;
  private lastDataVersion = 0;
  private closed = false;

  private readonly sql: {
    head: Database.Statement<[string], { revision: number; position: number }>;
    storedCopy: Database.Statement<[string, string], EventRow>;
    insert: Database.Statement<[string, number, string, string, string, number]>;
    readStream: Database.Statement<[string, number, number], EventRow>;
    readAll: Database.Statement<[number, number], EventRow>;
    readAllWithoutData: Database.Statement<[number, number], EventRow>;
    readAllOfTypes: Database.Statement<[number, string, number], EventRow>;
    readAllOfTypesWithoutData: Database.Statement<[number, string, number], EventRow>;
    logEnd: Database.Statement<[], { position: number | null }>;
    purgeNonces: Database.Statement<[number]>;
    insertNonce: Database.Statement<[string, string, number]>;
  };
  private readonly writeBatch: (requests: AppendRequest[]) => BatchOutcome<AppendResult>[];

  private constructor(options: SqliteEventStoreOptions) {
    if (options.file !== ':memory:') createOwnerOnly(options.file);
    this.database = new Database(options.file);
    for (const pragma of sqlitePragmas(options.synchronous ?? 'FULL', options.busyTimeoutMs ?? 5000)) {
      this.database.pragma(pragma);
    }
    this.database.exec(SQLITE_SCHEMA);
    this.pollIntervalMs = options.pollIntervalMs ?? 50;
    const db = this.database;
    this.sql = {
      head: db.prepare('SELECT revision, position FROM events WHERE stream = ? ORDER BY revision DESC LIMIT 1'),
      storedCopy: db.prepare(`SELECT ${EVENT_COLUMNS} FROM events WHERE stream = ? AND id = ?`),
      insert: db.prepare('INSERT INTO events (stream, revision, id, type, data, created_at) VALUES (?, ?, ?, ?, ?, ?)'),
      readStream: db.prepare(
        `SELECT ${EVENT_COLUMNS} FROM events WHERE stream = ? AND revision >= ? ORDER BY revision LIMIT ?`,
      ),
      readAll: db.prepare(readAllSql(EVENT_COLUMNS, false)),
      readAllWithoutData: db.prepare(readAllSql(EVENT_COLUMNS_WITHOUT_DATA, false)),
      logEnd: db.prepare('SELECT max(position) AS position FROM events'),
      // The types as one JSON array: one statement for any number of them.
      readAllOfTypes: db.prepare(readAllSql(EVENT_COLUMNS, true)),
      readAllOfTypesWithoutData: db.prepare(readAllSql(EVENT_COLUMNS_WITHOUT_DATA, true)),
      purgeNonces: db.prepare('DELETE FROM used_nonces WHERE expires_at <= ?'),
      insertNonce: db.prepare('INSERT OR IGNORE INTO used_nonces (keyid, nonce, expires_at) VALUES (?, ?, ?)'),
    };
    const batch = db.transaction((requests: AppendRequest[]) => requests.map((r) => this.appendInTransaction(r)));
    this.writeBatch = (requests) => batch.immediate(requests);
    this.queue = new GroupCommitQueue((requests) => this.runBatch(requests), { enabled: options.groupCommit ?? true });
  }

  /** Opens (and if needed creates) the store file. */
  static open(options: SqliteEventStoreOptions): SqliteEventStore {
    return new SqliteEventStore(options);
  }

  /** Transactions and appends they carried (group commit at work). */
  get commitStats(): { batches: number; requests: number } {
    return { ...this.queue.stats };
  }

  /**
   * Runs `fn` in an IMMEDIATE transaction on the store's connection (committed when it
   * returns, rolled back when it throws) — for read models and their checkpoints.
   */
  transaction<T>(fn: (db: Database.Database) => T): T {
    this.assertOpen();
    return this.database.transaction(() => fn(this.database)).immediate();
  }

  async append(stream: string, events: NewEvent[], expected: ExpectedRevision): Promise<AppendResult> {
    this.assertOpen();
    return this.queue.submit(appendRequest(stream, events, expected));
  }

  async readStream(stream: string, fromRevision = 0, limit?: number): Promise<RecordedEvent[]> {
    this.assertOpen();
    const rows = this.sql.readStream.all(stream, checkRevision(fromRevision), checkLimit(limit, -1));
    if (rows.length === 0 && this.sql.head.get(stream) === undefined) throw new StreamNotFoundError(stream);
    return rows.map(toRecordedEvent);
  }

  async streamHead(stream: string): Promise<StreamHead | null> {
    this.assertOpen();
    const head = this.sql.head.get(stream);
    return head ? { revision: head.revision, position: encodeSqlPosition(head.position) } : null;
  }

  async logEnd(): Promise<string | undefined> {
    this.assertOpen();
    const { position } = this.sql.logEnd.get()!;
    return position === null ? undefined : encodeSqlPosition(position);
  }

  async readAll(fromPosition?: string, limit?: number, options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    this.assertOpen();
    const after = decodeSqlPosition(fromPosition);
    const max = checkLimit(limit, DEFAULT_READ_ALL_LIMIT);
    const { sql } = this;
    const rows = options.types
      ? (options.withoutData ? sql.readAllOfTypesWithoutData : sql.readAllOfTypes).all(after, JSON.stringify(options.types), max)
      : (options.withoutData ? sql.readAllWithoutData : sql.readAll).all(after, max);
    return rows.map(toRecordedEvent);
  }

  subscribeToAll(fromPosition?: string, options: SubscribeOptions = {}): Subscription {
    this.assertOpen();
    decodeSqlPosition(fromPosition); // fail now, not at the first next()
    const subscription = new PollingSubscription(this, this.changes, fromPosition, options, 5 * this.pollIntervalMs, (s) =>
      this.forget(s),
    );
    this.subscriptions.add(subscription);
    this.watchOtherProcesses();
    return subscription;
  }

  async rememberNonce(keyid: string, nonce: string, expiresAtMs: number, nowMs = Date.now()): Promise<boolean> {
    return this.transaction(() => {
      this.sql.purgeNonces.run(nowMs);
      return this.sql.insertNonce.run(keyid, nonce, expiresAtMs).changes === 1;
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.queue.close();
    await Promise.all([...this.subscriptions].map((s) => s.close()));
    this.closed = true;
    this.database.close();
  }

  private runBatch(requests: AppendRequest[]): BatchOutcome<AppendResult>[] {
    const outcomes = this.writeBatch(requests);
    if (outcomes.some((o) => o.ok && o.value.created)) this.changes.notify();
    return outcomes;
  }

  /** One append inside the batch's transaction; a typed refusal is returned, not thrown, so the batch commits. */
  private appendInTransaction({ stream, events, expected }: AppendRequest): BatchOutcome<AppendResult> {
    const stored = new Map<string, StoredCopy>();
    for (const e of events) {
      const row = this.sql.storedCopy.get(stream, e.id);
      if (row) {
        const sameContent = row.type === e.type && row.data === e.data;
        stored.set(e.id, { id: e.id, revision: row.revision, position: encodeSqlPosition(row.position), sameContent });
      }
    }
    const head = this.sql.head.get(stream)?.revision ?? null;
    let plan;
    try {
      plan = planAppend(stream, events, expected, head, stored);
    } catch (error) {
      if (error instanceof EventStoreError) return { ok: false, error };
      throw error;
    }
    if (plan.kind === 'retry') return { ok: true, value: plan.result };
    const now = Date.now();
    const written = events.map((e, i) => {
      const revision = plan.firstRevision + i;
      const { lastInsertRowid } = this.sql.insert.run(stream, revision, e.id, e.type, e.data, now);
      return { revision, position: encodeSqlPosition(lastInsertRowid) };
    });
    return { ok: true, value: appendResult(written, true) };
  }

  /**
   * Commits by other connections (another process on the same file) do not pass through
   * this object; PRAGMA data_version changes when one happened, so while anyone subscribes
   * a cheap timer checks it and wakes the subscriptions.
   */
  private watchOtherProcesses(): void {
    if (this.watcher) return;
    this.lastDataVersion = this.dataVersion();
    this.watcher = setInterval(() => {
      if (this.closed) return;
      const version = this.dataVersion();
      if (version !== this.lastDataVersion) {
        this.lastDataVersion = version;
        this.changes.notify();
      }
    }, this.pollIntervalMs);
    this.watcher.unref();
  }

  private forget(subscription: PollingSubscription): void {
    this.subscriptions.delete(subscription);
    if (this.subscriptions.size === 0 && this.watcher) {
      clearInterval(this.watcher);
      this.watcher = null;
    }
  }

  private dataVersion(): number {
    return this.database.pragma('data_version', { simple: true }) as number;
  }

  private assertOpen(): void {
    if (this.closed) throw new EventStoreClosedError();
  }
}

function toRecordedEvent(row: EventRow): RecordedEvent {
  return {
    stream: row.stream,
    id: row.id,
    type: row.type,
    revision: row.revision,
    position: encodeSqlPosition(row.position),
    data: row.data,
    createdAt: new Date(row.created_at).toISOString(),
  };
}
