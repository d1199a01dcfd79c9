/**
 * Raw append throughput of the event store adapters, and of a peer event store from npm
 * (Emmett's SQLite and PostgreSQL stores) on the same work: envelope-sized events appended
 * with an expected revision to one stream by one writer, and to 64 streams by 16
 * concurrent writers (each writer owns its streams, so nobody conflicts).
 *
 * Emmett's SQLite store opens a connection per append and loses acknowledged events under
 * concurrent appends through one instance, so it is measured as it can safely be used: one
 * writer at a time. Ratios divide our rate by the peer's on the same streams.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { PostgresEventStore } from '../src/store/postgres/postgres-event-store.adapter';
import { SqliteEventStore } from '../src/store/sqlite/sqlite-event-store.adapter';
import type { EventStore } from '../src/store/event-store.port';
import { recordResults } from './results';

const POSTGRES_URL = process.env.PARLEY_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const RUN_MS = Number(process.env.PARLEY_BENCH_STORE_MS ?? 2000);
/** A peer's append failing this many times in a row ends its scenario (measure's `retryFailed`). */
const MAX_FAILURES_IN_A_ROW = 5;

/** One append of one event to `stream`; resolves when the store acknowledged it. */
interface Appender {
  append(stream: string, id: string, data: string): Promise<void>;
  /** Events the store holds for these streams (to check nothing acknowledged was lost). */
  count(streams: string[]): Promise<number>;
  close(): Promise<void>;
}

interface Shape {
  streams: number;
  writers: number;
}

const ONE_STREAM: Shape = { streams: 1, writers: 1 };
const MANY_STREAMS: Shape = { streams: 64, writers: 16 };

/** An envelope of typical size (a short encrypted message for three recipients), ~1.1 KB. */
function envelope(id: string, seq: number): string {
  const b64 = (n: number) => randomBytes(n).toString('base64url');
  return JSON.stringify({
    v: 1,
    id,
    channel: randomUUID(),
    seq,
    prev: randomBytes(32).toString('hex'),
    type: 'MessagePosted',
    sender: 'ua-lead',
    at: new Date().toISOString(),
    meta: { audience: ['icrc', 'ru', 'ua'] },
    body: {
      epk: b64(32),
      nonce: b64(24),
      box: b64(400),
      commit: randomBytes(32).toString('hex'),
      keys: ['icrc-med', 'ru-lead', 'ua-lead'].map((to) => ({ to, nonce: b64(24), key: b64(48) })),
    },
    sig: b64(64),
  });
}

interface Measured {
  rate: number;
  acknowledged: number;
  stored: number;
  /** Appends the store refused with an error and the writer tried again (peers only). */
  failed: number;
}

/**
 * Appends for RUN_MS with the given shape; returns acknowledged events per second. With
 * `retryFailed` (a peer), an append that fails is counted and made again, as a user of that
 * store would: Emmett's SQLite store fails about one append in 200 with SQLITE_BUSY
 * "statements in progress" even with one writer (rolled back: nothing stored), and ending
 * the scenario there left sqlite_vs_peer unmeasured on a loaded machine.
 */
async function measure(appender: Appender, shape: Shape, retryFailed = false): Promise<Measured> {
  const streams = Array.from({ length: shape.streams }, () => `parley-channel-${randomUUID()}`);
  // Prepared up front so that the loop measures the store, not the making of envelopes.
  const envelopes = Array.from({ length: 256 }, (_, i) => envelope(randomUUID(), i));
  let acknowledged = 0;
  let failed = 0;
  const write = async (stream: string) => {
    // A peer that keeps failing (a conflict that every retry meets again, a misconfigured
    // store) ends its scenario after a few in a row, as before retrying: measure never spins.
    for (let inARow = 1; ; inARow++) {
      try {
        await appender.append(stream, randomUUID(), envelopes[acknowledged % envelopes.length]);
        acknowledged++;
        return;
      } catch (error) {
        if (!retryFailed || inARow >= MAX_FAILURES_IN_A_ROW) throw error;
        failed++;
      }
    }
  };
  for (const stream of streams) await write(stream); // warm up; creates every stream
  acknowledged = failed = 0;
  const start = process.hrtime.bigint();
  const deadline = Date.now() + RUN_MS;
  await Promise.all(
    Array.from({ length: shape.writers }, async (_, w) => {
      const mine = streams.filter((_, i) => i % shape.writers === w);
      for (let i = 0; Date.now() < deadline; i++) await write(mine[i % mine.length]);
    }),
  );
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const stored = (await appender.count(streams)) - streams.length;
  return { rate: acknowledged / seconds, acknowledged, stored, failed };
}

/** Our store behind the Appender interface, appending with the exact expected revision. */
function ours(store: EventStore): Appender {
  const heads = new Map<string, number>();
  return {
    async append(stream, id, data) {
      const head = heads.get(stream);
      const result = await store.append(stream, [{ id, type: 'MessagePosted', data }], head === undefined ? 'no_stream' : head);
      heads.set(stream, result.nextRevision);
    },
    async count(streams) {
      let n = 0;
      for (const s of streams) n += (await store.readStream(s)).length;
      return n;
    },
    close: () => store.close(),
  };
}

/** The slice of Emmett's event store API the benchmark uses. */
interface EmmettStore {
  appendToStream(stream: string, events: { type: string; data: unknown }[], options?: { expectedStreamVersion?: unknown }): Promise<{ nextExpectedStreamVersion: bigint }>;
  readStream(stream: string): Promise<{ events: unknown[] }>;
  close?(): void | Promise<void>;
}

function emmett(store: EmmettStore, streamDoesNotExist: unknown): Appender {
  const versions = new Map<string, bigint>();
  return {
    async append(stream, _id, data) {
      const expectedStreamVersion = versions.get(stream) ?? streamDoesNotExist;
      const result = await store.appendToStream(stream, [{ type: 'MessagePosted', data: JSON.parse(data) }], { expectedStreamVersion });
      versions.set(stream, result.nextExpectedStreamVersion);
    },
    async count(streams) {
      let n = 0;
      for (const s of streams) n += (await store.readStream(s)).events.length;
      return n;
    },
    close: async () => void (await store.close?.()),
  };
}

function loadPeer<T>(name: string): T | null {
  try {
    return require(name) as T;
  } catch (error) {
    console.log(`  (peer ${name} not installed: ${(error as Error).message.split('\n')[0]})`);
    return null;
  }
}

interface Row {
  store: string;
  shape: Shape;
  rate: number;
  lost: number;
}

const rows: Row[] = [];

async function scenario(store: string, shape: Shape, open: () => Promise<Appender>, retryFailed = false): Promise<number> {
  const appender = await open();
  try {
    const { rate, acknowledged, stored, failed } = await measure(appender, shape, retryFailed);
    const lost = Math.max(0, acknowledged - stored);
    rows.push({ store, shape, rate, lost });
    console.log(
      `  ${store.padEnd(34)} ${`${shape.streams} stream(s), ${shape.writers} writer(s)`.padEnd(26)} ${rate.toFixed(0).padStart(7)} appends/s` +
        (lost ? `  LOST ${lost} acknowledged` : '') +
        (failed ? `  (${failed} failed and made again)` : ''),
    );
    return rate;
  } finally {
    await appender.close();
  }
}

/**
 * A peer scenario, guarded: failed appends are made again (measure's `retryFailed`); a
 * scenario that still fails or never settles is reported and tried once more; null if it
 * cannot be measured.
 */
async function peerScenario(store: string, shape: Shape, open: () => Promise<Appender>): Promise<number | null> {
  for (let attempt = 1; attempt <= 2; attempt++) {
    let timer: NodeJS.Timeout | undefined;
    const hung = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('an append did not settle')), RUN_MS + 15_000);
    });
    try {
      return await Promise.race([scenario(store, shape, open, true), hung]);
    } catch (error) {
      console.log(`  ${store}: attempt ${attempt} failed: ${(error as Error).message.split('\n')[0]}`);
    } finally {
      clearTimeout(timer);
    }
  }
  return null;
}

async function postgresReachable(): Promise<boolean> {
  const client = new Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    return true;
  } catch (error) {
    console.log(`  (PostgreSQL at ${POSTGRES_URL} unreachable, skipped: ${(error as Error).message})`);
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function withSchema<T>(run: (schema: string) => Promise<T>): Promise<T> {
  const schema = `parley_bench_${randomBytes(5).toString('hex')}`;
  const admin = new Client({ connectionString: POSTGRES_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE SCHEMA "${schema}"`);
    return await run(schema);
  } finally {
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
  }
}

async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'parley-bench-store-'));
  const file = () => join(dir, `${randomUUID()}.sqlite`);
  const figures: Parameters<typeof recordResults>[0] = {};
  try {
    const sqlite = (groupCommit: boolean, synchronous: 'FULL' | 'NORMAL') => async () =>
      ours(SqliteEventStore.open({ file: file(), groupCommit, synchronous }));
    await scenario('sqlite FULL, group commit', ONE_STREAM, sqlite(true, 'FULL'));
    const sqliteFull = await scenario('sqlite FULL, group commit', MANY_STREAMS, sqlite(true, 'FULL'));
    await scenario('sqlite FULL, no group commit', ONE_STREAM, sqlite(false, 'FULL'));
    const sqliteFullPlain = await scenario('sqlite FULL, no group commit', MANY_STREAMS, sqlite(false, 'FULL'));
    const sqliteNormal = await scenario('sqlite NORMAL, no group commit', MANY_STREAMS, sqlite(false, 'NORMAL'));
    const sqliteNormalGroup = await scenario('sqlite NORMAL, group commit', MANY_STREAMS, sqlite(true, 'NORMAL'));
    figures.sqlite_full_appends_per_s = { value: sqliteFull, unit: 'appends/s' };
    figures.sqlite_full_nogroup_appends_per_s = { value: sqliteFullPlain, unit: 'appends/s' };
    figures.sqlite_normal_appends_per_s = { value: sqliteNormal, unit: 'appends/s' };
    figures.sqlite_normal_group_appends_per_s = { value: sqliteNormalGroup, unit: 'appends/s' };
    figures.sqlite_full_group_vs_normal = { value: sqliteFull / sqliteNormal, unit: 'ratio' };

    const emmettCore = loadPeer<{ STREAM_DOES_NOT_EXIST: unknown }>('@event-driven-io/emmett');
    const emmettSqlite = loadPeer<{ getSQLiteEventStore(o: { fileName: string }): EmmettStore }>('@event-driven-io/emmett-sqlite');
    if (emmettCore && emmettSqlite) {
      const peer = async () => emmett(emmettSqlite.getSQLiteEventStore({ fileName: file() }), emmettCore.STREAM_DOES_NOT_EXIST);
      await peerScenario('peer: emmett-sqlite 0.38.5', ONE_STREAM, peer);
      // Its safe use: one writer at a time over the same 64 streams.
      const peerRate = await peerScenario('peer: emmett-sqlite 0.38.5', { streams: 64, writers: 1 }, peer);
      if (peerRate) {
        figures.peer_emmett_sqlite_appends_per_s = { value: peerRate, unit: 'appends/s' };
        figures.sqlite_vs_peer = { value: sqliteFull / peerRate, unit: 'ratio' };
      }
    }

    if (await postgresReachable()) {
      const postgres = (groupCommit: boolean, fastPath = true) => async () => {
        const schema = `parley_bench_${randomBytes(5).toString('hex')}`;
        const store = await PostgresEventStore.connect({ connectionString: POSTGRES_URL, schema, groupCommit, fastPath, poolSize: 17 });
        const appender = ours(store);
        return {
          ...appender,
          close: async () => {
            await store.pool.query(`DROP SCHEMA "${schema}" CASCADE`);
            await store.close();
          },
        };
      };
      await scenario('postgres, group commit', ONE_STREAM, postgres(true));
      const pg = await scenario('postgres, group commit', MANY_STREAMS, postgres(true));
      await scenario('postgres, no group commit', ONE_STREAM, postgres(false));
      const pgPlain = await scenario('postgres, no group commit', MANY_STREAMS, postgres(false));
      // The transaction path alone, as every batch went before the one-statement fast path.
      await scenario('postgres, group, no fast path', ONE_STREAM, postgres(true, false));
      const pgTransaction = await scenario('postgres, group, no fast path', MANY_STREAMS, postgres(true, false));
      figures.postgres_fast_vs_transaction = { value: pg / pgTransaction, unit: 'ratio' };
      figures.postgres_appends_per_s = { value: pg, unit: 'appends/s' };
      figures.postgres_nogroup_appends_per_s = { value: pgPlain, unit: 'appends/s' };

      const emmettPg = loadPeer<{ getPostgreSQLEventStore(url: string): EmmettStore }>('@event-driven-io/emmett-postgresql');
      if (emmettCore && emmettPg) {
        const peerRate = await withSchema(async (schema) => {
          // Emmett creates its tables in the first schema of the search path.
          const url = `${POSTGRES_URL}${POSTGRES_URL.includes('?') ? '&' : '?'}options=-c%20search_path%3D${schema}`;
          const peer = async () => emmett(emmettPg.getPostgreSQLEventStore(url), emmettCore.STREAM_DOES_NOT_EXIST);
          await peerScenario('peer: emmett-postgresql 0.42.0', ONE_STREAM, peer);
          return peerScenario('peer: emmett-postgresql 0.42.0', MANY_STREAMS, peer);
        });
        if (peerRate) {
          figures.peer_emmett_postgres_appends_per_s = { value: peerRate, unit: 'appends/s' };
          figures.postgres_vs_peer = { value: pg / peerRate, unit: 'ratio' };
        }
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const lost = rows.filter((r) => r.lost > 0 && !r.store.startsWith('peer'));
  if (lost.length) throw new Error(`our store lost acknowledged appends: ${JSON.stringify(lost)}`);
  recordResults(figures);
}

export const benchmark = {
  name: 'store',
  title: 'event store append throughput: SQLite (FULL, group commit on/off), PostgreSQL, and Emmett as the peer',
  run,
};
