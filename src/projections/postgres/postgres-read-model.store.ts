/**
 * Read models in the event store's PostgreSQL database, through its pg Pool. A batch's rows
 * and the checkpoint commit in one transaction; the checkpoint row is locked (FOR UPDATE)
 * and compared first, so two service instances projecting the same log never interleave
 * batches: the second one finds the checkpoint moved and drops its batch.
 */
import type { Pool, PoolClient } from 'pg';
import type { ChannelStateView, KeyMembership, ReunificationItem, RequestItem } from '../read-model-rows';
import {
  CheckpointConflictError,
  type ReadModelChanges,
  type ReadModelDump,
  type ReadModelStore,
  type RequestFilter,
} from '../read-model-store.port';
import { normaliseRow, READ_MODEL_TABLES, statusCondition } from '../read-model-tables';
import { pgTransaction } from '../../store/postgres/pg-transaction';

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

/** Held for a transaction by whatever creates or empties the read model tables: instances starting together take turns. */
const READ_MODELS_LOCK = "SELECT pg_advisory_xact_lock(hashtext('parley_read_models'))";

// COLLATE "C": byte order, as SQLite's, so lists and dumps order the same on both adapters.
const schemaSql = (s: string) => `
CREATE SCHEMA IF NOT EXISTS ${s};
CREATE TABLE IF NOT EXISTS ${s}.parley_rm_checkpoint (
  id integer PRIMARY KEY CHECK (id = 1),
  position text COLLATE "C" NOT NULL
);
CREATE TABLE IF NOT EXISTS ${s}.parley_rm_version (
  id integer PRIMARY KEY CHECK (id = 1),
  version text NOT NULL
);
CREATE TABLE IF NOT EXISTS ${s}.parley_rm_channels (
  channel text COLLATE "C" PRIMARY KEY,
  awaiting_notary integer NOT NULL,
  doc text NOT NULL
);
CREATE INDEX IF NOT EXISTS parley_rm_channels_awaiting ON ${s}.parley_rm_channels (channel) WHERE awaiting_notary > 0;
CREATE TABLE IF NOT EXISTS ${s}.parley_rm_requests (
  channel text COLLATE "C" NOT NULL,
  request text COLLATE "C" NOT NULL,
  status text COLLATE "C" NOT NULL,
  requested_seq integer NOT NULL,
  doc text NOT NULL,
  PRIMARY KEY (channel, request)
);
CREATE INDEX IF NOT EXISTS parley_rm_requests_status ON ${s}.parley_rm_requests (status, channel, requested_seq);
CREATE TABLE IF NOT EXISTS ${s}.parley_rm_reunifications (
  channel text COLLATE "C" NOT NULL,
  request text COLLATE "C" NOT NULL,
  completed_seq integer NOT NULL,
  doc text NOT NULL,
  PRIMARY KEY (channel, request)
);
CREATE TABLE IF NOT EXISTS ${s}.parley_rm_keys (
  fingerprint text COLLATE "C" NOT NULL,
  channel text COLLATE "C" NOT NULL,
  participant text COLLATE "C" NOT NULL,
  active boolean NOT NULL,
  sign_key text NOT NULL,
  PRIMARY KEY (fingerprint, channel, participant)
);
`;

export interface PostgresReadModelOptions {
  /** Schema of the tables (default `public`); tests use one of their own. */
  schema?: string;
}

export class PostgresReadModelStore implements ReadModelStore {
  private readonly schema: string;

  constructor(
    private readonly pool: Pool,
    options: PostgresReadModelOptions = {},
  ) {
    this.schema = options.schema ?? 'public';
    if (!IDENTIFIER.test(this.schema)) throw new Error(`not a plain schema name: ${this.schema}`);
  }

  /** Quoted, as the event store quotes it: a schema may be named with a keyword (`order`). */
  private t(table: string): string {
    return `"${this.schema}".${table}`;
  }

  async init(): Promise<void> {
    // Several instances may start at once; an advisory lock keeps CREATE … IF NOT EXISTS from racing.
    await this.inTransaction(async (client) => {
      await client.query(READ_MODELS_LOCK);
      await client.query(schemaSql(`"${this.schema}"`));
    });
  }

  async checkpoint(): Promise<string | null> {
    const { rows } = await this.pool.query<{ position: string }>(`SELECT position FROM ${this.t('parley_rm_checkpoint')} WHERE id = 1`);
    return rows[0]?.position ?? null;
  }

  async commit(changes: ReadModelChanges, from: string | null, to: string): Promise<void> {
    await this.inTransaction(async (client) => {
      const checkpoint = this.t('parley_rm_checkpoint');
      if (from === null) {
        // No row to lock yet (a first batch, or one after reset): claiming the row is the lock.
        // A racing first batch waits on this insert, then inserts nothing once it commits.
        const claimed = await client.query(`INSERT INTO ${checkpoint} (id, position) VALUES (1, $1) ON CONFLICT (id) DO NOTHING`, [to]);
        if (claimed.rowCount === 0) throw new CheckpointConflictError(from, await this.checkpointIn(client));
      } else {
        const actual = await this.checkpointIn(client, 'FOR UPDATE');
        if (actual !== from) throw new CheckpointConflictError(from, actual);
        await client.query(`UPDATE ${checkpoint} SET position = $1 WHERE id = 1`, [to]);
      }
      await this.upsert(client, changes);
    });
  }

  private async checkpointIn(client: PoolClient, lock = ''): Promise<string | null> {
    const { rows } = await client.query<{ position: string }>(`SELECT position FROM ${this.t('parley_rm_checkpoint')} WHERE id = 1 ${lock}`);
    return rows[0]?.position ?? null;
  }

  /** One statement per table, whatever the batch size: arrays unnested server-side. */
  private async upsert(client: PoolClient, c: ReadModelChanges): Promise<void> {
    if (c.channels.length) {
      await client.query(
        `INSERT INTO ${this.t('parley_rm_channels')} (channel, awaiting_notary, doc)
         SELECT * FROM unnest($1::text[], $2::int[], $3::text[])
         ON CONFLICT (channel) DO UPDATE SET awaiting_notary = EXCLUDED.awaiting_notary, doc = EXCLUDED.doc`,
        [c.channels.map((r) => r.channel), c.channels.map((r) => r.awaitingNotary), c.channels.map((r) => r.doc)],
      );
    }
    if (c.requests.length) {
      await client.query(
        `INSERT INTO ${this.t('parley_rm_requests')} (channel, request, status, requested_seq, doc)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::text[])
         ON CONFLICT (channel, request) DO UPDATE
           SET status = EXCLUDED.status, requested_seq = EXCLUDED.requested_seq, doc = EXCLUDED.doc`,
        [
          c.requests.map((r) => r.channel),
          c.requests.map((r) => r.request),
          c.requests.map((r) => r.status),
          c.requests.map((r) => r.requestedSeq),
          c.requests.map((r) => r.doc),
        ],
      );
    }
    if (c.reunifications.length) {
      await client.query(
        `INSERT INTO ${this.t('parley_rm_reunifications')} (channel, request, completed_seq, doc)
         SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::text[])
         ON CONFLICT (channel, request) DO UPDATE SET completed_seq = EXCLUDED.completed_seq, doc = EXCLUDED.doc`,
        [
          c.reunifications.map((r) => r.channel),
          c.reunifications.map((r) => r.request),
          c.reunifications.map((r) => r.completedSeq),
          c.reunifications.map((r) => r.doc),
        ],
      );
    }
    if (c.keys.length) {
      await client.query(
        `INSERT INTO ${this.t('parley_rm_keys')} (fingerprint, channel, participant, active, sign_key)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::boolean[], $5::text[])
         ON CONFLICT (fingerprint, channel, participant) DO UPDATE SET active = EXCLUDED.active, sign_key = EXCLUDED.sign_key`,
        [
          c.keys.map((k) => k.fingerprint),
          c.keys.map((k) => k.channel),
          c.keys.map((k) => k.participant),
          c.keys.map((k) => k.active),
          c.keys.map((k) => k.signKey),
        ],
      );
    }
  }

  async reset(): Promise<void> {
    await this.inTransaction((client) => this.truncateAll(client));
  }

  async resetUnlessVersion(version: string): Promise<boolean> {
    return this.inTransaction(async (client) => {
      // One instance at a time: two starting together must not both rebuild over the other's first batch.
      await client.query(READ_MODELS_LOCK);
      const { rows } = await client.query<{ version: string }>(`SELECT version FROM ${this.t('parley_rm_version')} WHERE id = 1`);
      if (rows[0]?.version === version) return false;
      await this.truncateAll(client);
      await client.query(`INSERT INTO ${this.t('parley_rm_version')} (id, version) VALUES (1, $1) ON CONFLICT (id) DO UPDATE SET version = excluded.version`, [version]);
      return true;
    });
  }

  private async truncateAll(client: PoolClient): Promise<void> {
    await client.query(`TRUNCATE ${READ_MODEL_TABLES.map((t) => this.t(t.name)).join(', ')}`);
  }

  async requests(channels: string[] | null, filter: RequestFilter): Promise<RequestItem[]> {
    const params: unknown[] = [];
    let where = '';
    if (channels !== null) {
      params.push(channels);
      where = 'channel = ANY($1::text[]) AND ';
    }
    const status = statusCondition(filter, (i) => `$${i}`, params.length + 1);
    params.push(...status.params);
    const { rows } = await this.pool.query<{ doc: string }>(
      `SELECT doc FROM ${this.t('parley_rm_requests')} WHERE ${where}${status.sql} ORDER BY channel, requested_seq`,
      params,
    );
    return rows.map((r) => JSON.parse(r.doc) as RequestItem);
  }

  async reunifications(channels: string[] | null): Promise<ReunificationItem[]> {
    const { rows } = await this.pool.query<{ doc: string }>(
      `SELECT doc FROM ${this.t('parley_rm_reunifications')}
       ${channels === null ? '' : 'WHERE channel = ANY($1::text[])'} ORDER BY channel, completed_seq`,
      channels === null ? [] : [channels],
    );
    return rows.map((r) => JSON.parse(r.doc) as ReunificationItem);
  }

  async channelState(channel: string): Promise<ChannelStateView | null> {
    const { rows } = await this.pool.query<{ doc: string }>(`SELECT doc FROM ${this.t('parley_rm_channels')} WHERE channel = $1`, [
      channel,
    ]);
    return rows[0] ? (JSON.parse(rows[0].doc) as ChannelStateView) : null;
  }

  async keyMemberships(fingerprint: string): Promise<KeyMembership[]> {
    const { rows } = await this.pool.query<{ fingerprint: string; channel: string; participant: string; active: boolean; sign_key: string }>(
      `SELECT fingerprint, channel, participant, active, sign_key FROM ${this.t('parley_rm_keys')}
       WHERE fingerprint = $1 ORDER BY channel, participant`,
      [fingerprint],
    );
    return rows.map((k) => ({ fingerprint: k.fingerprint, channel: k.channel, participant: k.participant, active: k.active, signKey: k.sign_key }));
  }

  async channelsAwaitingNotary(): Promise<string[]> {
    const { rows } = await this.pool.query<{ channel: string }>(
      `SELECT channel FROM ${this.t('parley_rm_channels')} WHERE awaiting_notary > 0 ORDER BY channel`,
    );
    return rows.map((r) => r.channel);
  }

  async dump(): Promise<ReadModelDump> {
    const dump: ReadModelDump = {};
    for (const table of READ_MODEL_TABLES) {
      const { rows } = await this.pool.query({
        text: `SELECT ${table.columns.join(', ')} FROM ${this.t(table.name)} ORDER BY ${table.key.join(', ')}`,
        rowMode: 'array',
      });
      dump[table.name] = (rows as unknown[][]).map((row) => normaliseRow(table, row));
    }
    return dump;
  }

  async close(): Promise<void> {
    // The pool belongs to the event store, which ends it.
  }

  private inTransaction<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    return pgTransaction(this.pool, work);
  }
}
