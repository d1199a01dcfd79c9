/**
 * Read models in the event store's own SQLite file, through its better-sqlite3 handle: a
 * batch of rows and the checkpoint commit in one transaction with nothing else between.
 */
import type Database from 'better-sqlite3';
import type { ChannelStateView, KeyMembership, ReunificationItem, RequestItem } from '../read-model-rows';
import {
  CheckpointConflictError,
  type ReadModelChanges,
  type ReadModelDump,
  type ReadModelStore,
  type RequestFilter,
} from '../read-model-store.port';
import { normaliseRow, READ_MODEL_TABLES, statusCondition } from '../read-model-tables';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS parley_rm_checkpoint (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  position TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS parley_rm_version (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  version TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS parley_rm_channels (
  channel TEXT PRIMARY KEY,
  awaiting_notary INTEGER NOT NULL,
  doc TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS parley_rm_requests (
  channel TEXT NOT NULL,
  request TEXT NOT NULL,
  status TEXT NOT NULL,
  requested_seq INTEGER NOT NULL,
  doc TEXT NOT NULL,
  PRIMARY KEY (channel, request)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS parley_rm_requests_status ON parley_rm_requests (status, channel, requested_seq);
CREATE TABLE IF NOT EXISTS parley_rm_reunifications (
  channel TEXT NOT NULL,
  request TEXT NOT NULL,
  completed_seq INTEGER NOT NULL,
  doc TEXT NOT NULL,
  PRIMARY KEY (channel, request)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS parley_rm_keys (
  fingerprint TEXT NOT NULL,
  channel TEXT NOT NULL,
  participant TEXT NOT NULL,
  active INTEGER NOT NULL,
  sign_key TEXT NOT NULL,
  PRIMARY KEY (fingerprint, channel, participant)
) WITHOUT ROWID;
`;

interface KeyRowSql {
  fingerprint: string;
  channel: string;
  participant: string;
  active: number;
  sign_key: string;
}

/** `channel IN (…)` for a list given as one JSON parameter, or no condition for all channels. */
const channelCondition = (channels: string[] | null) =>
  channels === null ? { sql: '1 = 1', params: [] as string[] } : { sql: 'channel IN (SELECT value FROM json_each(?))', params: [JSON.stringify(channels)] };

export class SqliteReadModelStore implements ReadModelStore {
  private statements?: ReturnType<SqliteReadModelStore['prepare']>;

  constructor(private readonly db: Database.Database) {}

  async init(): Promise<void> {
    this.db.exec(SCHEMA);
    this.statements = this.prepare();
  }

  private prepare() {
    const db = this.db;
    return {
      checkpoint: db.prepare<[], { position: string }>('SELECT position FROM parley_rm_checkpoint WHERE id = 1'),
      setCheckpoint: db.prepare<[string]>(
        'INSERT INTO parley_rm_checkpoint (id, position) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET position = excluded.position',
      ),
      channel: db.prepare<[string, number, string]>(
        `INSERT INTO parley_rm_channels (channel, awaiting_notary, doc) VALUES (?, ?, ?)
         ON CONFLICT (channel) DO UPDATE SET awaiting_notary = excluded.awaiting_notary, doc = excluded.doc`,
      ),
      request: db.prepare<[string, string, string, number, string]>(
        `INSERT INTO parley_rm_requests (channel, request, status, requested_seq, doc) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (channel, request) DO UPDATE SET status = excluded.status, requested_seq = excluded.requested_seq, doc = excluded.doc`,
      ),
      reunification: db.prepare<[string, string, number, string]>(
        `INSERT INTO parley_rm_reunifications (channel, request, completed_seq, doc) VALUES (?, ?, ?, ?)
         ON CONFLICT (channel, request) DO UPDATE SET completed_seq = excluded.completed_seq, doc = excluded.doc`,
      ),
      key: db.prepare<[string, string, string, number, string]>(
        `INSERT INTO parley_rm_keys (fingerprint, channel, participant, active, sign_key) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (fingerprint, channel, participant) DO UPDATE SET active = excluded.active, sign_key = excluded.sign_key`,
      ),
      channelDoc: db.prepare<[string], { doc: string }>('SELECT doc FROM parley_rm_channels WHERE channel = ?'),
      keys: db.prepare<[string], KeyRowSql>(
        'SELECT fingerprint, channel, participant, active, sign_key FROM parley_rm_keys WHERE fingerprint = ? ORDER BY channel, participant',
      ),
      awaiting: db.prepare<[], { channel: string }>(
        'SELECT channel FROM parley_rm_channels WHERE awaiting_notary > 0 ORDER BY channel',
      ),
    };
  }

  private get sql() {
    if (!this.statements) throw new Error('SqliteReadModelStore.init() was not called');
    return this.statements;
  }

  async checkpoint(): Promise<string | null> {
    return this.sql.checkpoint.get()?.position ?? null;
  }

  async commit(changes: ReadModelChanges, from: string | null, to: string): Promise<void> {
    const sql = this.sql;
    this.db
      .transaction(() => {
        const actual = sql.checkpoint.get()?.position ?? null;
        if (actual !== from) throw new CheckpointConflictError(from, actual);
        for (const c of changes.channels) sql.channel.run(c.channel, c.awaitingNotary, c.doc);
        for (const r of changes.requests) sql.request.run(r.channel, r.request, r.status, r.requestedSeq, r.doc);
        for (const r of changes.reunifications) sql.reunification.run(r.channel, r.request, r.completedSeq, r.doc);
        for (const k of changes.keys) sql.key.run(k.fingerprint, k.channel, k.participant, k.active ? 1 : 0, k.signKey);
        sql.setCheckpoint.run(to);
      })
      .immediate();
  }

  async reset(): Promise<void> {
    this.db.transaction(() => this.deleteAll())();
  }

  async resetUnlessVersion(version: string): Promise<boolean> {
    return this.db
      .transaction(() => {
        const row = this.db.prepare<[], { version: string }>('SELECT version FROM parley_rm_version WHERE id = 1').get();
        if (row?.version === version) return false;
        this.deleteAll();
        this.db.prepare('INSERT INTO parley_rm_version (id, version) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET version = excluded.version').run(version);
        return true;
      })
      .immediate();
  }

  private deleteAll(): void {
    for (const table of READ_MODEL_TABLES) this.db.prepare(`DELETE FROM ${table.name}`).run();
  }

  async requests(channels: string[] | null, filter: RequestFilter): Promise<RequestItem[]> {
    const inChannels = channelCondition(channels);
    const status = statusCondition(filter, () => '?');
    const rows = this.db
      .prepare<unknown[], { doc: string }>(
        `SELECT doc FROM parley_rm_requests WHERE ${inChannels.sql} AND ${status.sql} ORDER BY channel, requested_seq`,
      )
      .all(...inChannels.params, ...status.params);
    return rows.map((r) => JSON.parse(r.doc) as RequestItem);
  }

  async reunifications(channels: string[] | null): Promise<ReunificationItem[]> {
    const inChannels = channelCondition(channels);
    const rows = this.db
      .prepare<unknown[], { doc: string }>(
        `SELECT doc FROM parley_rm_reunifications WHERE ${inChannels.sql} ORDER BY channel, completed_seq`,
      )
      .all(...inChannels.params);
    return rows.map((r) => JSON.parse(r.doc) as ReunificationItem);
  }

  async channelState(channel: string): Promise<ChannelStateView | null> {
    const row = this.sql.channelDoc.get(channel);
    return row ? (JSON.parse(row.doc) as ChannelStateView) : null;
  }

  async keyMemberships(fingerprint: string): Promise<KeyMembership[]> {
    return this.sql.keys.all(fingerprint).map((k) => ({
      fingerprint: k.fingerprint,
      channel: k.channel,
      participant: k.participant,
      active: k.active === 1,
      signKey: k.sign_key,
    }));
  }

  async channelsAwaitingNotary(): Promise<string[]> {
    return this.sql.awaiting.all().map((r) => r.channel);
  }

  async dump(): Promise<ReadModelDump> {
    const dump: ReadModelDump = {};
    for (const table of READ_MODEL_TABLES) {
      const rows = this.db
        .prepare(`SELECT ${table.columns.join(', ')} FROM ${table.name} ORDER BY ${table.key.join(', ')}`)
        .raw()
        .all() as unknown[][];
      dump[table.name] = rows.map((row) => normaliseRow(table, row));
    }
    return dump;
  }

  async close(): Promise<void> {
    // The handle belongs to the event store, which closes it.
  }
}
