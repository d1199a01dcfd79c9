/**
 * PostgreSQL store (`pg`, pooled connections), for several service instances sharing one
 * database.
 *
 * Global order safe for subscribers — the technique and why:
 * every append transaction first takes one transaction-level advisory lock per schema
 * (`pg_advisory_xact_lock`), and only then draws positions from the identity sequence.
 * PostgreSQL releases that lock after the commit has become visible, so the transaction that
 * draws the next positions starts only after the previous one is visible: positions become
 * visible in exactly the order they were drawn. A reader that has seen position p can
 * therefore never later meet a newly committed event below p — the late-committing-
 * transaction gap of a plain sequence cannot happen. The cost is that appends to one
 * schema are serialised; group commit (many appends per transaction, per instance) wins
 * that throughput back. The alternative — xid8 / pg_snapshot_xmin() visibility filters on
 * the reader side, as Marten and Emmett do — allows parallel writers but makes every reader
 * reason about in-flight transactions; one writer's fsync at a time is the bottleneck in
 * both, so the simpler lock was chosen.
 *
 * Subscribers are woken in-process after our own commits and by LISTEN/NOTIFY for other
 * instances' commits (pg_notify inside the append transaction is delivered on commit);
 * an idle subscription also re-reads every pollIntervalMs in case a notification is lost.
 */
import { createHash } from 'node:crypto';
import { Client, Pool, type PoolClient, type PoolConfig } from 'pg';
import {
  appendRequest,
  appendResult,
  optimisticPlan,
  planBatch,
  streamIdKey,
  type AppendRequest,
  type BatchSnapshot,
  type PlannedOutcome,
  type PlannedRow,
  type StoredCopy,
} from '../append-plan';
import { ChangeSignal } from '../change-signal';
import {
  EventStoreClosedError,
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
import { checkSchemaName, LOCK_CLASS, migrationSql, notifyChannel, schemaLockKey } from './postgres-schema';
import { pgTransaction } from './pg-transaction';

export interface PostgresEventStoreOptions {
  /** postgres://… */
  connectionString: string;
  /** Schema holding the store's tables (default `parley`); created if missing. */
  schema?: string;
  /** Batch concurrent appends into one transaction (default true). */
  groupCommit?: boolean;
  /** Try each batch as one statement first (append_if_heads; default true). Off: always the four-round-trip transaction. */
  fastPath?: boolean;
  /** Pool size (default 10). */
  poolSize?: number;
  /** Idle subscriptions re-read this often even without a notification (default 1000 ms). */
  pollIntervalMs?: number;
  /** Extra pg pool settings. */
  pool?: Omit<PoolConfig, 'connectionString' | 'max'>;
}

interface EventRow {
  position: string;
  stream: string;
  revision: string;
  id: string;
  type: string;
  data: string;
  created_at: Date;
}

/** A row of the batch snapshot: a stream's head (id null) or a stored copy of a batch event. */
interface SnapshotRow {
  stream: string;
  head: string | null;
  id: string | null;
  revision: string;
  position: string;
  same: boolean;
}

const IDLE_IN_TRANSACTION_MS = 30_000;

export class PostgresEventStore implements EventStore {
  /** The pool, for tables that must live in the same database (read models, …). */
  readonly pool: Pool;
  /** The schema holding the store's tables. */
  readonly schema: string;
  private readonly table: string;
  private readonly changes = new ChangeSignal();
  private readonly queue: GroupCommitQueue<AppendRequest, AppendResult>;
  private readonly subscriptions = new Set<PollingSubscription>();
  private readonly lockKey: number;
  private listener: Client | null = null;
  private listening: Promise<void> | null = null;
  private closed = false;
  private fastBatches = 0;

  private constructor(private readonly options: PostgresEventStoreOptions) {
    this.schema = checkSchemaName(options.schema ?? 'parley');
    this.table = `"${this.schema}".events`;
    this.lockKey = schemaLockKey(this.schema);
    this.pool = new Pool({
      // A transaction left open mid-way (a process paused between statements, its socket still
      // up) would hold the schema's append lock, and every instance's appends with it: ended
      // by PostgreSQL after this long idle in it, releasing the lock.
      idle_in_transaction_session_timeout: IDLE_IN_TRANSACTION_MS,
      ...options.pool,
      connectionString: options.connectionString,
      max: options.poolSize ?? 10,
    });
    // An idle client's connection dropping must not crash the process; the next query reconnects.
    this.pool.on('error', () => {});
    this.queue = new GroupCommitQueue((requests) => this.runBatch(requests), { enabled: options.groupCommit ?? true });
  }

  /** Connects and runs the (idempotent) migration. */
  static async connect(options: PostgresEventStoreOptions): Promise<PostgresEventStore> {
    const store = new PostgresEventStore(options);
    try {
      await store.withTransaction(async (client) => {
        await client.query('SELECT pg_advisory_xact_lock($1, $2)', [LOCK_CLASS.migrate, store.lockKey]);
        await client.query(migrationSql(store.schema));
      });
    } catch (error) {
      await store.pool.end();
      throw error;
    }
    return store;
  }

  /** Batches and the appends they carried (group commit at work); how many batches the one-statement fast path wrote. */
  get commitStats(): { batches: number; requests: number; fastBatches: number } {
    return { ...this.queue.stats, fastBatches: this.fastBatches };
  }

  /** Runs `fn` in a transaction on a pooled client: committed if it resolves, rolled back if it throws. */
  withTransaction<T>(fn: (client: PoolClient) => Promise<T>): Promise<T> {
    return this.transaction('BEGIN', fn, () => 'COMMIT');
  }

  async append(stream: string, events: NewEvent[], expected: ExpectedRevision): Promise<AppendResult> {
    this.assertOpen();
    return this.queue.submit(appendRequest(stream, events, expected));
  }

  async readStream(stream: string, fromRevision = 0, limit?: number): Promise<RecordedEvent[]> {
    this.assertOpen();
    const { rows } = await this.pool.query<EventRow>(
      `SELECT ${EVENT_COLUMNS} FROM ${this.table} WHERE stream = $1 AND revision >= $2 ORDER BY revision LIMIT $3`,
      [stream, checkRevision(fromRevision), checkLimit(limit, undefined) ?? null],
    );
    if (rows.length === 0 && (await this.streamHead(stream)) === null) throw new StreamNotFoundError(stream);
    return rows.map(toRecordedEvent);
  }

  async streamHead(stream: string): Promise<StreamHead | null> {
    this.assertOpen();
    const { rows } = await this.pool.query<{ revision: string; position: string }>(
      `SELECT revision, position FROM ${this.table} WHERE stream = $1 ORDER BY revision DESC LIMIT 1`,
      [stream],
    );
    return rows[0] ? { revision: Number(rows[0].revision), position: encodeSqlPosition(rows[0].position) } : null;
  }

  async logEnd(): Promise<string | undefined> {
    this.assertOpen();
    // Positions become visible in the order drawn (the append lock): all below the largest visible one are.
    const { rows } = await this.pool.query<{ position: string | null }>(`SELECT max(position) AS position FROM ${this.table}`);
    return rows[0].position === null ? undefined : encodeSqlPosition(rows[0].position);
  }

  async readAll(fromPosition?: string, limit?: number, options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    this.assertOpen();
    const [after, max] = [decodeSqlPosition(fromPosition), checkLimit(limit, DEFAULT_READ_ALL_LIMIT)];
    const columns = options.withoutData ? EVENT_COLUMNS_WITHOUT_DATA : EVENT_COLUMNS;
    const { rows } = options.types
      ? await this.pool.query<EventRow>(
          `SELECT ${columns} FROM ${this.table} WHERE position > $1 AND type = ANY($3) ORDER BY position LIMIT $2`,
          [after, max, options.types],
        )
      : await this.pool.query<EventRow>(`SELECT ${columns} FROM ${this.table} WHERE position > $1 ORDER BY position LIMIT $2`, [after, max]);
    return rows.map(toRecordedEvent);
  }

  subscribeToAll(fromPosition?: string, options: SubscribeOptions = {}): Subscription {
    this.assertOpen();
    decodeSqlPosition(fromPosition);
    const subscription = new PollingSubscription(this, this.changes, fromPosition, options, this.options.pollIntervalMs ?? 1000, (s) =>
      this.subscriptions.delete(s),
    );
    this.subscriptions.add(subscription);
    this.listening ??= this.listen();
    return subscription;
  }

  async rememberNonce(keyid: string, nonce: string, expiresAtMs: number, nowMs = Date.now()): Promise<boolean> {
    this.assertOpen();
    const s = `"${this.schema}"`;
    // Purge other expired nonces and record this one in one statement; an expired record of
    // the same nonce is renewed (DO UPDATE … WHERE expired), a live one makes it a replay.
    const { rowCount } = await this.pool.query(
      `WITH purge AS (DELETE FROM ${s}.used_nonces WHERE expires_at <= $4 AND NOT (keyid = $1 AND nonce = $2))
       INSERT INTO ${s}.used_nonces AS u (keyid, nonce, expires_at) VALUES ($1, $2, $3)
       ON CONFLICT (keyid, nonce) DO UPDATE SET expires_at = EXCLUDED.expires_at WHERE u.expires_at <= $4`,
      [keyid, nonce, expiresAtMs, nowMs],
    );
    return rowCount === 1;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.queue.close();
    await Promise.all([...this.subscriptions].map((s) => s.close()));
    this.closed = true;
    await this.listening?.catch(() => undefined);
    await this.listener?.end().catch(() => undefined);
    await this.pool.end();
  }

  /**
   * One round trip when the batch is what it usually is — every expected revision right, no
   * retry — through the append_if_heads function (postgres-schema.ts). Otherwise one
   * transaction, four round trips whatever its size: BEGIN + the append lock; one query for
   * the heads and the already-stored ids of the whole batch; one multi-row INSERT; NOTIFY +
   * COMMIT. The batch is planned in memory in between (planBatch).
   */
  private async runBatch(requests: AppendRequest[]): Promise<BatchOutcome<AppendResult>[]> {
    const fast = this.options.fastPath === false ? null : await this.appendIfHeads(requests);
    if (fast) {
      this.fastBatches++;
      this.changes.notify();
      return fast;
    }
    const created = (outcomes: BatchOutcome<AppendResult>[]) => outcomes.some((o) => o.ok && o.value.created);
    const outcomes = await this.transaction(
      `BEGIN; SELECT pg_advisory_xact_lock(${LOCK_CLASS.append}, ${this.lockKey})`,
      async (client) => {
        const done: BatchOutcome<AppendResult>[] = [];
        while (done.length < requests.length) done.push(...(await this.writePrefix(client, requests.slice(done.length))));
        return done;
      },
      // The channel name is built from a checked identifier, so it can be inlined.
      (done) => (created(done) ? `SELECT pg_notify('${notifyChannel(this.schema)}', ''); COMMIT` : 'COMMIT'),
    );
    if (created(outcomes)) this.changes.notify();
    return outcomes;
  }

  /** The fast path: the outcomes if the database confirmed the optimistic plan and wrote it, else null. */
  private async appendIfHeads(requests: AppendRequest[]): Promise<BatchOutcome<AppendResult>[] | null> {
    const plan = optimisticPlan(requests);
    if (!plan) return null;
    const { heads, rows } = plan;
    const { rows: inserted } = await this.pool.query<InsertedRow>(
      `SELECT w_stream AS stream, w_revision AS revision, w_position AS position
         FROM "${this.schema}".append_if_heads($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
      [
        LOCK_CLASS.append,
        this.lockKey,
        notifyChannel(this.schema),
        [...heads.keys()],
        [...heads.values()],
        ...insertColumns(rows),
      ],
    );
    if (inserted.length === 0) return null;
    return writtenOutcomes(requests.map(() => ({ kind: 'write' })), rows, inserted);
  }

  private transaction<T>(begin: string, fn: (client: PoolClient) => Promise<T>, commit: (result: T) => string): Promise<T> {
    return pgTransaction(this.pool, fn, begin, commit);
  }

  /** Plans and writes as many of `requests` as planBatch allows (at least one). */
  private async writePrefix(client: PoolClient, requests: AppendRequest[]): Promise<BatchOutcome<AppendResult>[]> {
    const { planned, outcomes, rows } = planBatch(requests, await this.snapshot(client, requests));
    let inserted: InsertedRow[] = [];
    if (rows.length > 0) {
      ({ rows: inserted } = await client.query<InsertedRow>(
        `INSERT INTO ${this.table} (stream, revision, id, type, data)
         SELECT r.stream, r.revision, r.id, r.type, r.data
           FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[]) WITH ORDINALITY
                AS r(stream, revision, id, type, data, ord)
          ORDER BY r.ord
         RETURNING stream, revision, position`,
        insertColumns(rows),
      ));
    }
    return writtenOutcomes(outcomes.slice(0, planned), rows, inserted);
  }

  /**
   * The heads of the batch's streams and its ids already stored, in one query. Stored
   * content is compared by SHA-256 on the server (PostgreSQL 11+), so the check sends
   * digests, not a second copy of the data.
   */
  private async snapshot(client: PoolClient, requests: AppendRequest[]): Promise<BatchSnapshot> {
    const streams = [...new Set(requests.map((r) => r.stream))];
    const pairs = requests.flatMap((r) => r.events.map((e) => ({ stream: r.stream, e })));
    const { rows } = await client.query<SnapshotRow>(
      `SELECT s.stream, (SELECT max(revision) FROM ${this.table} WHERE stream = s.stream) AS head,
              NULL AS id, NULL AS revision, NULL AS position, NULL AS same
         FROM unnest($1::text[]) AS s(stream)
       UNION ALL
       SELECT e.stream, NULL, e.id, e.revision, e.position,
              e.type = n.type AND encode(sha256(convert_to(e.data, 'UTF8')), 'hex') = n.digest
         FROM unnest($2::text[], $3::text[], $4::text[], $5::text[]) AS n(stream, id, type, digest)
         JOIN ${this.table} e ON e.stream = n.stream AND e.id = n.id`,
      [
        streams,
        pairs.map((p) => p.stream),
        pairs.map((p) => p.e.id),
        pairs.map((p) => p.e.type),
        pairs.map((p) => sha256Hex(p.e.data)),
      ],
    );
    const heads = new Map<string, number | null>();
    const stored = new Map<string, StoredCopy>();
    for (const r of rows) {
      if (r.id === null) heads.set(r.stream, r.head === null ? null : Number(r.head));
      else {
        const copy = { id: r.id, revision: Number(r.revision), position: encodeSqlPosition(r.position), sameContent: r.same };
        stored.set(streamIdKey(r.stream, r.id), copy);
      }
    }
    return { heads, stored };
  }

  /** A dedicated connection LISTENing for other instances' commits; on failure, polling still works. */
  private async listen(): Promise<void> {
    const client = new Client({ connectionString: this.options.connectionString });
    client.on('notification', () => this.changes.notify());
    client.on('error', () => {
      // Lost: fall back to polling; the next subscribeToAll tries again.
      this.listener = null;
      this.listening = null;
      void client.end().catch(() => undefined);
    });
    try {
      await client.connect();
      await client.query(`LISTEN "${notifyChannel(this.schema)}"`);
      if (this.closed) await client.end();
      else this.listener = client;
    } catch {
      this.listening = null;
      await client.end().catch(() => undefined);
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new EventStoreClosedError();
  }
}

interface InsertedRow {
  stream: string;
  revision: string;
  position: string;
}

/** Each planned request's outcome: decided already, or written at the rows `inserted` returned. */
function writtenOutcomes(outcomes: PlannedOutcome[], rows: PlannedRow[], inserted: InsertedRow[]): BatchOutcome<AppendResult>[] {
  const positions = new Map<string, string>();
  for (const r of inserted) positions.set(rowKey(r.stream, Number(r.revision)), encodeSqlPosition(r.position));
  const written: { revision: number; position: string }[][] = outcomes.map(() => []);
  for (const r of rows) written[r.request].push({ revision: r.revision, position: positions.get(rowKey(r.stream, r.revision))! });
  return outcomes.map((o, index) => (o.kind === 'done' ? o.outcome : { ok: true, value: appendResult(written[index], true) }));
}

/** The rows to insert as the column arrays both insert paths unnest: stream, revision, id, type, data. */
function insertColumns(rows: PlannedRow[]): [string[], number[], string[], string[], string[]] {
  return [rows.map((r) => r.stream), rows.map((r) => r.revision), rows.map((r) => r.event.id), rows.map((r) => r.event.type), rows.map((r) => r.event.data)];
}

function rowKey(stream: string, revision: number): string {
  return `${revision}\u0000${stream}`;
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

function toRecordedEvent(row: EventRow): RecordedEvent {
  return {
    stream: row.stream,
    id: row.id,
    type: row.type,
    revision: Number(row.revision),
    position: encodeSqlPosition(row.position),
    data: row.data,
    createdAt: row.created_at.toISOString(),
  };
}
