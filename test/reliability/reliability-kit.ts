/**
 * Shared by the reliability suites: scale parameters (short in `npm test`, long in
 * `npm run soak`), channels with SDK sessions for their members, the global log as a global
 * auditor exports it, the auditor's streaming core over it, and read models compared with a
 * rebuild from position 0 into a fresh read model store beside the same events.
 */
import Database from 'better-sqlite3';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { auditStream } from '../../src/audit/audit-stream';
import { ChannelSession, ParleyHttpClient } from '../../src/client';
import { generateIdentity, type Identity, type LogReport } from '../../src/protocol';
import { PostgresReadModelStore } from '../../src/projections/postgres/postgres-read-model.store';
import { ProjectionRunner } from '../../src/projections/projection.runner';
import { createReadModelStore } from '../../src/projections/read-model-store.factory';
import type { ReadModelDump, ReadModelStore } from '../../src/projections/read-model-store.port';
import { SqliteReadModelStore } from '../../src/projections/sqlite/sqlite-read-model.store';
import { createEventStore, SQLITE_FILE_NAME } from '../../src/store/event-store.factory';
import type { EventStore } from '../../src/store/event-store.port';
import { PostgresEventStore } from '../../src/store/postgres/postgres-event-store.adapter';
import { post } from '../service/service-test-kit';
import { newStoreLocation, spawnServer, type SpawnedServer, type StoreKind, type StoreLocation } from '../service/service-harness';
import { POSTGRES_URL, readWholeLog, tempDir } from '../store/store-test-kit';
import { type MemberSpec, NegotiationBuilder, newNotarySeed } from '../support/negotiation-builder';

/** `npm run soak` sets PARLEY_SOAK=1: the long version of every suite. */
export const SOAK = process.env.PARLEY_SOAK === '1';

/**
 * A scale parameter: `PARLEY_SOAK_<NAME>` if set, else the soak or the short default. A whole
 * number of at least 1: with 0 a suite's loops would run zero times and it would pass having
 * checked nothing.
 */
export function param(name: string, short: number, soak: number): number {
  const given = process.env[`PARLEY_SOAK_${name}`];
  if (given !== undefined && given !== '') {
    const n = Number(given);
    if (!Number.isInteger(n) || n < 1) throw new Error(`PARLEY_SOAK_${name} must be a whole number of at least 1 (0 would make the suite check nothing), got ${given}`);
    return n;
  }
  return SOAK ? soak : short;
}

/** The stores a suite runs on: PARLEY_SOAK_STORES=sqlite,postgres (default: SQLite, plus PostgreSQL in the soak). */
export function storeKinds(shortDefault: StoreKind[] = ['sqlite']): StoreKind[] {
  const given = process.env.PARLEY_SOAK_STORES;
  const kinds = given ? given.split(',').map((s) => s.trim()) : SOAK ? ['sqlite', 'postgres'] : shortDefault;
  for (const k of kinds) if (k !== 'sqlite' && k !== 'postgres') throw new Error(`PARLEY_SOAK_STORES: unknown store ${k}`);
  return kinds as StoreKind[];
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Negotiators of three parties, so that many clients can race in one channel. */
export function negotiators(perParty: number): MemberSpec[] {
  const members: MemberSpec[] = [{ id: 'icrc.audit', party: 'icrc', role: 'auditor' }];
  for (const party of ['ua', 'ru', 'us']) {
    for (let i = 0; i < perParty; i++) members.push({ id: `${party}.n${i}`, party, role: 'negotiator' });
  }
  return members;
}

/**
 * A channel opened on the server (its ChannelOpened posted), with an SDK session per member
 * on demand. `options.fetch` is handed to every SDK client of the channel (an observer such
 * as `observedFetch().fetch`); the ChannelOpened itself is posted without it.
 */
export class TestChannel {
  private constructor(
    readonly url: string,
    readonly n: NegotiationBuilder,
    private readonly fetchImpl?: typeof fetch,
  ) {}

  static async open(url: string, notarySeed: string, members: MemberSpec[], options: { fetch?: typeof fetch } = {}): Promise<TestChannel> {
    const n = NegotiationBuilder.open({ notarySeed, members, opener: members.find((m) => m.role === 'negotiator')!.id });
    const res = await post(url, n.channel, n.log[0]);
    if (res.status !== 201) throw new Error(`ChannelOpened answered ${res.status}: ${res.text}`);
    return new TestChannel(url, n, options.fetch);
  }

  get id(): string {
    return this.n.channel;
  }

  /** Ids of the members that may post messages. */
  get writers(): string[] {
    return [...this.n.members.values()].filter((m) => m.record.role !== 'auditor').map((m) => m.record.id);
  }

  http(member: string): ParleyHttpClient {
    return new ParleyHttpClient({ server: this.url, keys: this.n.keys(member), fetch: this.fetchImpl });
  }

  session(member: string): ChannelSession {
    const { signSeed, boxSecret } = this.n.members.get(member)!.identity;
    return new ChannelSession(this.http(member), { id: member, signSeed, boxSecret }, this.id);
  }
}

/** What `observedFetch` saw. */
export interface ObservedFetch {
  /** Hand this to the SDK (`ParleyHttpClient`'s `fetch` option). */
  fetch: typeof fetch;
  /** Answers per `METHOD /path status`, channel ids written `:id`, query left out. */
  answers: Map<string, number>;
  /** Requests fetch itself threw on (refused, reset, timed out: what the SDK may retry silently). */
  thrown: string[];
  /** Requests that threw because the test aborted them (a subscriber stopped). */
  aborted: number;
  count(key: string): number;
}

/**
 * The global fetch, observed: every request goes out unchanged and its real Response (or
 * error) goes back to the caller unchanged; on the way the status is counted per route, so
 * a test sees what the SDK's silent retries (409, 503, lost answers, SSE reconnects) hide.
 */
export function observedFetch(): ObservedFetch {
  const answers = new Map<string, number>();
  const seen: ObservedFetch = { fetch: undefined as unknown as typeof fetch, answers, thrown: [], aborted: 0, count: (key) => answers.get(key) ?? 0 };
  seen.fetch = async (input, init) => {
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
    const route = `${init?.method ?? (input instanceof Request ? input.method : 'GET')} ${url.pathname.replace(/^\/v1\/channels\/[^/]+/, '/v1/channels/:id')}`;
    let res: Response;
    try {
      res = await fetch(input, init);
    } catch (err) {
      if (init?.signal?.aborted) seen.aborted++;
      else seen.thrown.push(`${route}: ${(err as Error).name}: ${(err as Error).message}${(err as { cause?: Error }).cause ? ` (${(err as { cause: Error }).cause.message})` : ''}`);
      throw err;
    }
    const key = `${route} ${res.status}`;
    answers.set(key, (answers.get(key) ?? 0) + 1);
    return res;
  };
  return seen;
}

/** A message to the three parties with negotiators (the sender's own party included). */
export const messageDraft = (text: string) => () => ({ type: 'MessagePosted' as const, meta: { audience: ['ru', 'ua', 'us'] }, content: { text } });

export interface SpawnedSuite {
  notarySeed: string;
  auditor: Identity;
  server: SpawnedServer;
  location: StoreLocation;
}

/**
 * A spawned `node dist/src/main.js` on a store of `kind` for a describe block (started in
 * beforeAll, stopped and its store removed in afterAll), with a notary seed and a global
 * auditor. Read the fields inside tests: they are set once beforeAll ran.
 */
export function spawnedServerFor(kind: StoreKind, env: Record<string, string> = {}): SpawnedSuite {
  const auditor = globalAuditor();
  const suite = { notarySeed: newNotarySeed(), auditor: auditor.identity } as SpawnedSuite;
  beforeAll(async () => {
    suite.location = newStoreLocation(kind);
    suite.server = await spawnServer({ ...suite.location.env, ...auditor.env, PARLEY_NOTARY_SEED: suite.notarySeed, LOG_LEVEL: 'warn', ...env });
  });
  afterAll(async () => {
    if (suite.server) await suite.server.stop();
    await suite.location?.remove();
  });
  return suite;
}

/** A global auditor (PARLEY_AUDITORS) to export the whole log with. */
export function globalAuditor(): { identity: Identity; env: Record<string, string> } {
  const identity = generateIdentity();
  return { identity, env: { PARLEY_AUDITORS: `${identity.signKey}:${identity.boxKey}` } };
}

/** GET /v1/export as the global auditor: every stored line, exactly as served. */
export async function exportLog(url: string, auditor: Identity): Promise<string[]> {
  const http = new ParleyHttpClient({ server: url, keys: auditor });
  const lines: string[] = [];
  for await (const { raw } of http.exportAll()) lines.push(raw.toString('utf8'));
  return lines;
}

/** The auditor's streaming core (the code behind `parley audit`) over NDJSON lines. */
export function audit(lines: string[]): Promise<LogReport> {
  const bytes = Buffer.from(lines.map((l) => l + '\n').join(''), 'utf8');
  return auditStream(Readable.from([bytes]), { workers: 0 });
}

/** The events of a store location, opened from this process beside a running server. */
export async function openStore(location: StoreLocation): Promise<EventStore> {
  if (location.kind === 'sqlite') return createEventStore({ kind: 'sqlite', file: join(location.env.PARLEY_DATA_DIR, SQLITE_FILE_NAME) });
  return createEventStore({ kind: 'postgres', connectionString: POSTGRES_URL, schema: location.env.PARLEY_POSTGRES_SCHEMA });
}

/**
 * The server's read models (once its projection has caught up with the whole log) and the
 * read models a fresh projection builds from position 0 over the same events, in a store of
 * the same kind beside them. Equal dumps: nothing was lost, doubled or half-written.
 */
export async function readModelsAndRebuild(
  location: StoreLocation,
  timeoutMs = 30_000,
): Promise<{ live: ReadModelDump; rebuilt: ReadModelDump; events: number }> {
  const store = await openStore(location);
  const scratch = tempDir('parley-rebuild-');
  let rebuildStore: ReadModelStore | null = null;
  let dropSchema = async () => {};
  try {
    const log = await readWholeLog(store);
    const end = log.length ? log[log.length - 1].position : null;
    const live = createReadModelStore(store, location.env.PARLEY_DATA_DIR);
    await live.init();
    const deadline = Date.now() + timeoutMs;
    while ((await live.checkpoint()) !== end) {
      if (Date.now() > deadline) throw new Error(`the server's projection did not reach ${end} within ${timeoutMs} ms (at ${await live.checkpoint()})`);
      await sleep(50);
    }
    const liveDump = await live.dump();
    if (store instanceof PostgresEventStore) {
      const schema = `${location.env.PARLEY_POSTGRES_SCHEMA}_rebuild`;
      rebuildStore = new PostgresReadModelStore(store.pool, { schema });
      dropSchema = async () => void (await store.pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`));
    } else {
      const db = new Database(join(scratch.path, 'rebuild.sqlite'));
      rebuildStore = new SqliteReadModelStore(db);
      dropSchema = async () => void db.close();
    }
    await rebuildStore.init();
    const runner = new ProjectionRunner(store, rebuildStore);
    await runner.rebuild();
    if (!(await runner.catchUp(timeoutMs))) throw new Error('the rebuild did not catch up');
    await runner.stop();
    return { live: liveDump, rebuilt: await rebuildStore.dump(), events: log.length };
  } finally {
    await dropSchema();
    await rebuildStore?.close();
    await store.close();
    scratch.remove();
  }
}

/** p-th percentile (0–100) of the values, nearest rank. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** Resident set size of a process, in MB (Linux /proc). */
export function rssMb(pid: number): number {
  const m = /^VmRSS:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS for ${pid}`);
  return Number(m[1]) / 1024;
}

/** Prints a figure line the soak script collects into docs/reliability.md figures. */
export function report(suite: string, figures: Record<string, number | string>): void {
  const line = `RELIABILITY ${suite} ${JSON.stringify(figures)}`;
  process.stdout.write(line + '\n');
}
