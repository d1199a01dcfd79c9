import { Client } from 'pg';
import { PostgresEventStore } from '../../src/store/postgres/postgres-event-store.adapter';
import { LOCK_CLASS, schemaLockKey } from '../../src/store/postgres/postgres-schema';
import { type RecordedEvent, WrongExpectedRevisionError } from '../../src/store';
import { describeEventStoreContract } from './event-store.contract';
import { logEnd, newEvent, newStream, POSTGRES_URL, readWholeLog, testSchema } from './store-test-kit';

const schema = testSchema();
const plainSchema = testSchema();
const transactionSchema = testSchema();
afterAll(async () => {
  await schema.drop();
  await plainSchema.drop();
  await transactionSchema.drop();
});

describeEventStoreContract('PostgreSQL (group commit)', {
  open: () => PostgresEventStore.connect({ connectionString: POSTGRES_URL, schema: schema.name }),
});

describeEventStoreContract('PostgreSQL (group commit off)', {
  open: () => PostgresEventStore.connect({ connectionString: POSTGRES_URL, schema: plainSchema.name, groupCommit: false }),
});

// What the fast path falls back to, on its own: every batch through the four-round-trip transaction.
describeEventStoreContract('PostgreSQL (group commit, no fast path)', {
  open: () => PostgresEventStore.connect({ connectionString: POSTGRES_URL, schema: transactionSchema.name, fastPath: false }),
});

describe('PostgreSQL adapter', () => {
  let a: PostgresEventStore;
  let b: PostgresEventStore;

  beforeAll(async () => {
    // Two instances migrating the same schema at once: the migration is idempotent and locked.
    [a, b] = await Promise.all([
      PostgresEventStore.connect({ connectionString: POSTGRES_URL, schema: schema.name }),
      PostgresEventStore.connect({ connectionString: POSTGRES_URL, schema: schema.name, groupCommit: false }),
    ]);
  });
  afterAll(async () => {
    await a.close();
    await b.close();
  });

  it('given appends whose expected revisions hold, then one statement writes each batch; given a conflict or a retry, then the transaction decides', async () => {
    const stream = newStream();
    const first = newEvent();
    const before = a.commitStats;
    await a.append(stream, [first], 'no_stream');
    await Promise.all([a.append(newStream(), [newEvent()], 'no_stream'), a.append(newStream(), [newEvent(), newEvent()], 'no_stream')]);
    const fast = a.commitStats;
    expect(fast.fastBatches - before.fastBatches).toBe(fast.batches - before.batches);

    await expect(a.append(stream, [newEvent()], 'no_stream')).rejects.toBeInstanceOf(WrongExpectedRevisionError);
    const retry = await a.append(stream, [first], 'no_stream');
    expect(retry).toMatchObject({ created: false, nextRevision: 0 });
    const after = a.commitStats;
    expect(after.batches - fast.batches).toBe(2);
    expect(after.fastBatches).toBe(fast.fastBatches);
  });

  it('given a store stuck mid-transaction with the append lock (its process paused), then PostgreSQL ends its session, appends go on, and the paused store fails that transaction without crashing', async () => {
    expect((await a.pool.query('SHOW idle_in_transaction_session_timeout')).rows).toEqual([{ idle_in_transaction_session_timeout: '30s' }]);
    const paused = await PostgresEventStore.connect({ connectionString: POSTGRES_URL, schema: schema.name, pool: { idle_in_transaction_session_timeout: 300 } });
    try {
      let locked!: () => void;
      const holding = new Promise<void>((resolve) => (locked = resolve));
      const stuck = paused.withTransaction(async (client) => {
        await client.query('SELECT pg_advisory_xact_lock($1, $2)', [LOCK_CLASS.append, schemaLockKey(schema.name)]);
        locked();
        // Idle in the transaction past its timeout: PostgreSQL ends the session between statements,
        // an 'error' on a checked-out client that nothing but the store listens for.
        await new Promise((resolve) => setTimeout(resolve, 1500));
        await client.query('SELECT 1');
      });
      await holding;
      // The other instance's append waits until PostgreSQL ends the session, then goes on.
      await expect(a.append(newStream(), [newEvent()], 'no_stream')).resolves.toMatchObject({ created: true });
      await expect(stuck).rejects.toThrow();
      // The broken client was discarded, not pooled: the paused store works on.
      await expect(paused.append(newStream(), [newEvent()], 'no_stream')).resolves.toMatchObject({ created: true });
    } finally {
      await paused.close();
    }
  });

  it('serialises appends on the schema advisory lock, so positions become visible in commit order', async () => {
    const holder = new Client({ connectionString: POSTGRES_URL });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT pg_advisory_xact_lock($1, $2)', [LOCK_CLASS.append, schemaLockKey(schema.name)]);
      let done = false;
      const append = a.append(newStream(), [newEvent()], 'no_stream').then(() => (done = true));
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(done).toBe(false); // waits for the transaction that holds the lock
      await holder.query('COMMIT');
      await append;
      expect(done).toBe(true);
    } finally {
      await holder.end();
    }
  });

  it('never lets a subscriber skip an event while two instances append concurrently', async () => {
    const start = await logEnd(a);
    const subscription = a.subscribeToAll(start, { batchSize: 5 });
    const seen: RecordedEvent[] = [];
    const total = 2 * 8 * 10;
    const consumer = (async () => {
      for await (const event of subscription) {
        seen.push(event);
        if (seen.length === total) break;
      }
    })();
    await Promise.all(
      [a, b].flatMap((store) =>
        Array.from({ length: 8 }, async () => {
          const stream = newStream();
          let head: number | 'no_stream' = 'no_stream';
          for (let i = 0; i < 10; i++) head = (await store.append(stream, [newEvent()], head)).nextRevision;
        }),
      ),
    );
    await consumer;
    const log = await readWholeLog(a, start);
    expect(log).toHaveLength(total);
    expect(seen.map((e) => e.position)).toEqual(log.map((e) => e.position));
  });

  it('wakes a subscriber on another instance through LISTEN/NOTIFY, not the poll', async () => {
    const subscription = a.subscribeToAll(await logEnd(a), { pollIntervalMs: 60_000 });
    const iterator = subscription[Symbol.asyncIterator]();
    const first = iterator.next();
    await new Promise((resolve) => setTimeout(resolve, 300)); // the listener connects
    const event = newEvent();
    const started = Date.now();
    await b.append(newStream(), [event], 'no_stream');
    expect((await first).value).toMatchObject({ id: event.id });
    expect(Date.now() - started).toBeLessThan(5_000);
    await subscription.close();
  });

  it('exposes its pool and transactions for read models in the same schema', async () => {
    await a.withTransaction(async (client) => {
      await client.query(`CREATE TABLE IF NOT EXISTS "${a.schema}".rm_test (k text PRIMARY KEY, v int)`);
      await client.query(`INSERT INTO "${a.schema}".rm_test VALUES ('a', 1) ON CONFLICT (k) DO UPDATE SET v = 1`);
    });
    await expect(
      a.withTransaction(async (client) => {
        await client.query(`UPDATE "${a.schema}".rm_test SET v = 2`);
        throw new Error('projection failed');
      }),
    ).rejects.toThrow('projection failed');
    const { rows } = await a.pool.query(`SELECT v FROM "${a.schema}".rm_test`);
    expect(rows).toEqual([{ v: 1 }]);
  });
});
