/**
 * The projections over real stores: a SQLite file in a temp dir and a PostgreSQL schema of
 * this file's own. Fed with the vector log and with negotiations built by the protocol's
 * fixture; read models checked against the vectors' verdicts, a rebuild from position 0,
 * and a restart mid-stream.
 */
import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Envelope, eventHash, fingerprint } from '../../src/protocol';
import { PostgresReadModelStore } from '../../src/projections/postgres/postgres-read-model.store';
import { ProjectionRunner } from '../../src/projections/projection.runner';
import { SqliteReadModelStore } from '../../src/projections/sqlite/sqlite-read-model.store';
import { createReadModelStore } from '../../src/projections/read-model-store.factory';
import { CheckpointConflictError, emptyChanges, type ReadModelStore } from '../../src/projections/read-model-store.port';
import { READ_MODEL_VERSION } from '../../src/projections/read-model-rows';
import type { EventStore } from '../../src/store/event-store.port';
import { PostgresEventStore } from '../../src/store/postgres/postgres-event-store.adapter';
import { SqliteEventStore } from '../../src/store/sqlite/sqlite-event-store.adapter';
import { reference } from '../support/vectors';
import { POSTGRES_URL, testSchema } from '../store/store-test-kit';
import { appendAll, busyNegotiation, interleave, vectorLog } from './projection-test-kit';

interface Backend {
  name: string;
  /** A fresh, empty event store and the read model store beside it. */
  open(): Promise<{ store: EventStore; readModels: () => ReadModelStore; close(): Promise<void> }>;
}

const schemas: { drop(): Promise<void> }[] = [];
const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(schemas.map((s) => s.drop()));
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const backends: Backend[] = [
  {
    name: 'SQLite',
    async open() {
      const dir = mkdtempSync(join(tmpdir(), 'parley-projections-'));
      dirs.push(dir);
      const store = SqliteEventStore.open({ file: join(dir, 'parley.sqlite'), pollIntervalMs: 10 });
      return { store, readModels: () => createReadModelStore(store, dir), close: () => store.close() };
    },
  },
  {
    name: 'PostgreSQL',
    async open() {
      const schema = testSchema();
      schemas.push(schema);
      const store = await PostgresEventStore.connect({ connectionString: POSTGRES_URL, schema: schema.name, pollIntervalMs: 20 });
      return { store, readModels: () => new PostgresReadModelStore(store.pool, { schema: schema.name }), close: () => store.close() };
    },
  },
];

const VALID = reference.validLog;

async function project(store: EventStore, readModels: ReadModelStore, batchSize?: number): Promise<ProjectionRunner> {
  const runner = new ProjectionRunner(store, readModels, { batchSize, onError: (e) => console.error(e) });
  await runner.start();
  expect(await runner.catchUp(10_000)).toBe(true);
  return runner;
}

/** The read models a fresh projection from position 0 builds over the same store. */
async function rebuiltDump(store: EventStore, readModels: ReadModelStore) {
  const runner = new ProjectionRunner(store, readModels);
  await runner.rebuild();
  expect(await runner.catchUp(10_000)).toBe(true);
  await runner.stop();
  return readModels.dump();
}

describe.each(backends)('projections on $name', (backend) => {
  let ctx: Awaited<ReturnType<Backend['open']>>;
  beforeEach(async () => {
    ctx = await backend.open();
  });
  afterEach(() => ctx.close());

  it('given the vector log, shows its open, reunited and withdrawn requests, its agreement and its keys', async () => {
    const expected = reference.loadLogExpectations().find((e) => e.file === VALID)!;
    const lines = vectorLog(VALID);
    await appendAll(ctx.store, lines);
    const readModels = ctx.readModels();
    const runner = await project(ctx.store, readModels);

    const ids = (items: { request: string }[]) => items.map((i) => i.request).sort();
    expect(ids(await readModels.requests(null, { status: 'open' }))).toEqual(expected.open!.sort());
    expect(ids(await readModels.requests(null, { status: 'withdrawn' }))).toEqual(expected.withdrawn!.sort());
    expect(ids(await readModels.reunifications(null))).toEqual(expected.reunited!.sort());
    expect(ids(await readModels.requests(null, { status: 'reunited' }))).toEqual(expected.reunited!.sort());

    const channel = JSON.parse(lines[0]).channel as string;
    expect(await readModels.requests([randomUUID()], { status: 'open' })).toEqual([]);
    expect(ids(await readModels.requests([channel], { status: 'open' }))).toEqual(expected.open!.sort());
    const state = (await readModels.channelState(channel))!;
    expect(state.head.seq).toBe(expected.events);
    expect(state.head.prev).toBe(expected.head);
    expect(state.transfers.map((t) => t.proposal)).toEqual(expected.agreed);
    expect(state.proposals.filter((p) => p.status === 'pending')).toEqual([]);

    for (const done of await readModels.reunifications(null)) {
      expect(done.released.seq).toBeLessThan(done.received.seq);
      expect(done.received.seq).toBeLessThan(done.completed.seq);
      expect(done.completed.hash).toMatch(/^[0-9a-f]{64}$/);
    }

    const vectors = reference.loadEnvelopeVectors();
    const lead = vectors.identities['ru.lead'];
    const memberships = await readModels.keyMemberships(lead.fingerprint);
    expect(memberships).toEqual([{ fingerprint: lead.fingerprint, channel, participant: 'ru.lead', active: expect.any(Boolean), signKey: lead.signKey }]);
    const participant = state.participants.find((p) => p.id === 'ru.lead')!;
    expect(participant.fingerprint).toBe(fingerprint(participant));
    expect(memberships[0].active).toBe(participant.status === 'active');
    expect(await readModels.keyMemberships('0'.repeat(64))).toEqual([]);
    await runner.stop();
  });

  it('a rebuild from position 0 yields identical read models', async () => {
    const lines = interleave(vectorLog(VALID), busyNegotiation().lines(), busyNegotiation().lines());
    await appendAll(ctx.store, lines);
    const readModels = ctx.readModels();
    const runner = await project(ctx.store, readModels, 7);
    await runner.stop();
    const incremental = await readModels.dump();
    expect(incremental.parley_rm_channels).toHaveLength(3);
    expect(incremental.parley_rm_reunifications).toHaveLength(4);

    expect(await rebuiltDump(ctx.store, readModels)).toEqual(incremental);
  });

  it('given tables written by another version of the projection, when it starts, then it empties them and projects the log again from 0', async () => {
    await appendAll(ctx.store, busyNegotiation().lines());
    const readModels = ctx.readModels();
    await readModels.init();
    // What an older version left: its version mark, its rows, and a checkpoint at the log's end.
    expect(await readModels.resetUnlessVersion('1')).toBe(true);
    const old = { ...emptyChanges(), channels: [{ channel: randomUUID(), awaitingNotary: 0, doc: '{"written":"by version 1"}' }] };
    await readModels.commit(old, null, (await ctx.store.logEnd())!);
    const rebuilt: string[] = [];
    const runner = new ProjectionRunner(ctx.store, readModels, { onRebuild: (v) => rebuilt.push(v) });
    await runner.start();
    expect(await runner.catchUp(10_000)).toBe(true);
    await runner.stop();
    expect(rebuilt).toEqual([READ_MODEL_VERSION]);
    const projected = await readModels.dump();
    expect(JSON.stringify(projected)).not.toContain('by version 1');
    expect(await rebuiltDump(ctx.store, readModels)).toEqual(projected);
    // Started again on its own version's tables: nothing emptied.
    expect(await readModels.resetUnlessVersion(READ_MODEL_VERSION)).toBe(false);
  });

  it('stays correct after restarts mid-stream: stopped after N events, restarted, equal to a full rebuild', async () => {
    const a = busyNegotiation();
    const b = busyNegotiation();
    const lines = interleave(a.lines(), b.lines(), vectorLog(VALID));
    const readModels = ctx.readModels();
    // Stop and restart at uneven points, with batches that straddle channels.
    const cuts = [1, 5, 17, 30, lines.length];
    let from = 0;
    for (const cut of cuts) {
      await appendAll(ctx.store, lines.slice(from, cut));
      const runner = await project(ctx.store, readModels, 4);
      await runner.stop();
      expect(await readModels.checkpoint()).not.toBeNull();
      from = cut;
    }
    const restarted = await readModels.dump();
    expect(await rebuiltDump(ctx.store, readModels)).toEqual(restarted);
  });

  it('lets a reader see an event right after its append (read-your-writes), with the lag back to 0', async () => {
    const f = busyNegotiation();
    const lines = f.lines();
    await appendAll(ctx.store, lines.slice(0, 3));
    const readModels = ctx.readModels();
    const lags: number[] = [];
    const runner = new ProjectionRunner(ctx.store, readModels, { onLag: (n) => lags.push(n) });
    await runner.start();
    for (const line of lines.slice(3)) {
      await appendAll(ctx.store, [line]);
      expect(await runner.catchUp(5000)).toBe(true);
      const state = (await readModels.channelState(f.channel))!;
      const env = JSON.parse(line) as Envelope;
      expect(state.head).toEqual({ seq: env.seq + 1, prev: eventHash(env) });
    }
    expect(lags[lags.length - 1]).toBe(0);
    await runner.stop();
  });
});

/** A fresh SQLite store file for one test, closed afterwards. */
async function withSqliteStore(test: (store: SqliteEventStore) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'parley-projections-'));
  dirs.push(dir);
  const store = SqliteEventStore.open({ file: join(dir, 'parley.sqlite'), pollIntervalMs: 10 });
  try {
    await test(store);
  } finally {
    await store.close();
  }
}

describe('read-your-writes far behind the log (SQLite)', () => {
  it('a request gives up at once; a caller that may wait is answered at the very end of the log', async () => {
    await withSqliteStore(async (store) => {
      // 4,500 events of a stream that is no channel: nothing to project, but the checkpoint must pass them.
      for (let i = 0; i < 9; i++) {
        const events = Array.from({ length: 500 }, () => ({ id: randomUUID(), type: 'Note', data: JSON.stringify({ pad: 'p'.repeat(1024) }) }));
        await store.append('parley-misc', events, i === 0 ? 'no_stream' : i * 500 - 1);
      }
      const readModels = new SqliteReadModelStore(store.database);
      await readModels.init();
      // The real store, counting the event data its global reads hand out.
      let dataRead = 0;
      const counted = new Proxy(store, {
        get(target, key) {
          if (key === 'readAll') {
            return async (...args: Parameters<EventStore['readAll']>) => {
              const events = await target.readAll(...args);
              for (const e of events) dataRead += e.data.length;
              return events;
            };
          }
          const value = Reflect.get(target, key) as unknown;
          return typeof value === 'function' ? value.bind(target) : value;
        },
      });
      const runner = new ProjectionRunner(counted, readModels);
      const started = Date.now();
      expect(await runner.catchUp(5000, { giveUpWhenFar: true })).toBe(false);
      expect(Date.now() - started).toBeLessThan(1000);
      // Learning that it is behind loaded none of the envelopes it is behind.
      expect(dataRead).toBe(0);

      await runner.start();
      expect(await runner.catchUp(10_000)).toBe(true);
      const all = await store.readAll(undefined, 10_000);
      expect(runner.checkpoint).toBe(all[all.length - 1].position);
      await runner.stop();
    });
  });
});

describe('a batch that fails to commit (SQLite)', () => {
  it('is folded again from the stored checkpoint, so the read models still equal a rebuild', async () => {
    await withSqliteStore(async (store) => {
      /** The real adapter, whose third commit fails after the batch was folded in memory. */
      class FailingOnce extends SqliteReadModelStore {
        commits = 0;
        override async commit(...args: Parameters<SqliteReadModelStore['commit']>): Promise<void> {
          if (++this.commits === 3) throw new Error('disk full');
          return super.commit(...args);
        }
      }
      const readModels = new FailingOnce(store.database);
      const errors: unknown[] = [];
      const runner = new ProjectionRunner(store, readModels, { batchSize: 4, onError: (e) => errors.push(e) });
      await runner.start();
      await appendAll(store, interleave(busyNegotiation().lines(), busyNegotiation().lines()));
      expect(await runner.catchUp(10_000)).toBe(true);
      await runner.stop();
      expect(errors.map((e) => (e as Error).message)).toEqual(['disk full']);
      expect(readModels.commits).toBeGreaterThan(3);
      const survived = await readModels.dump();
      expect(await rebuiltDump(store, new SqliteReadModelStore(store.database))).toEqual(survived);
    });
  });
});

describe('read models in a PostgreSQL schema named with a keyword', () => {
  it('work as in any other: the name is quoted, as the event store quotes it', async () => {
    const pool = new Pool({ connectionString: POSTGRES_URL });
    try {
      await pool.query('DROP SCHEMA IF EXISTS "order" CASCADE');
      const readModels = new PostgresReadModelStore(pool, { schema: 'order' });
      await readModels.init();
      await readModels.commit({ ...emptyChanges(), channels: [{ channel: 'x', awaitingNotary: 1, doc: '{}' }] }, null, '00000000000000000001');
      expect(await readModels.checkpoint()).toBe('00000000000000000001');
      expect(await readModels.channelsAwaitingNotary()).toEqual(['x']);
    } finally {
      await pool.query('DROP SCHEMA IF EXISTS "order" CASCADE');
      await pool.end();
    }
  });
});

describe('two first batches racing on one PostgreSQL schema (no checkpoint row yet)', () => {
  it('one commits, the other is a CheckpointConflictError: the checkpoint never moves back', async () => {
    const schema = testSchema();
    schemas.push(schema);
    const [poolA, poolB, poolC] = [0, 1, 2].map(() => new Pool({ connectionString: POSTGRES_URL }));
    try {
      const a = new PostgresReadModelStore(poolA, { schema: schema.name });
      const b = new PostgresReadModelStore(poolB, { schema: schema.name });
      await a.init();
      // A third session holds channel x's row, so that both batches are under way at once.
      const blocker = await poolC.connect();
      await blocker.query('BEGIN');
      await blocker.query(`INSERT INTO ${schema.name}.parley_rm_channels VALUES ('x', 0, 'blocker')`);
      const batch = (doc: string) => ({ ...emptyChanges(), channels: [{ channel: 'x', awaitingNotary: 0, doc }] });
      const outcome = (p: Promise<void>) => p.then(() => 'committed', (e: unknown) => (e instanceof CheckpointConflictError ? 'conflict' : String(e)));
      const first = outcome(a.commit(batch('state@10'), null, '00000000000000000010'));
      await new Promise((r) => setTimeout(r, 100));
      const second = outcome(b.commit(batch('state@4'), null, '00000000000000000004'));
      await new Promise((r) => setTimeout(r, 200));
      await blocker.query('ROLLBACK');
      blocker.release();
      expect([await first, await second]).toEqual(['committed', 'conflict']);
      expect(await b.checkpoint()).toBe('00000000000000000010');
      expect((await poolA.query(`SELECT doc FROM ${schema.name}.parley_rm_channels`)).rows).toEqual([{ doc: 'state@10' }]);
    } finally {
      await Promise.all([poolA, poolB, poolC].map((p) => p.end()));
    }
  });
});

describe('two projection instances on one PostgreSQL schema', () => {
  it('share the work without interleaving batches: the result equals a rebuild', async () => {
    const schema = testSchema();
    schemas.push(schema);
    const storeA = await PostgresEventStore.connect({ connectionString: POSTGRES_URL, schema: schema.name, pollIntervalMs: 20 });
    const storeB = await PostgresEventStore.connect({ connectionString: POSTGRES_URL, schema: schema.name, pollIntervalMs: 20 });
    try {
      const rmA = new PostgresReadModelStore(storeA.pool, { schema: schema.name });
      const rmB = new PostgresReadModelStore(storeB.pool, { schema: schema.name });
      const runners = [new ProjectionRunner(storeA, rmA, { batchSize: 3 }), new ProjectionRunner(storeB, rmB, { batchSize: 5 })];
      await Promise.all(runners.map((r) => r.start()));
      const lines = interleave(busyNegotiation().lines(), busyNegotiation().lines());
      // Appends arrive while both project.
      for (let i = 0; i < lines.length; i += 6) await appendAll(i % 12 === 0 ? storeA : storeB, lines.slice(i, i + 6));
      expect(await runners[0].catchUp(10_000)).toBe(true);
      expect(await runners[1].catchUp(10_000)).toBe(true);
      await Promise.all(runners.map((r) => r.stop()));
      const shared = await rmA.dump();
      expect(shared.parley_rm_channels).toHaveLength(2);
      expect(await rebuiltDump(storeA, rmA)).toEqual(shared);
    } finally {
      await storeA.close();
      await storeB.close();
    }
  });
});
