/**
 * Backup and restore. SQLite: `parley backup --to FILE` (a real CLI process) copies the store
 * of a running server while SDK clients keep appending — no downtime; the copy is a prefix of
 * the live log that audits clean, and a server started on it serves the same heads, events
 * and read models as the original. PostgreSQL: the documented pg_dump / pg_restore procedure
 * (docs/reliability.md), restored into a database of its own and served the same way.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { ChannelSession } from '../../src/client';
import { createEventStore, SQLITE_FILE_NAME } from '../../src/store/event-store.factory';
import { parley } from '../cli/parley-harness';
import { newStoreLocation, spawnServer, type SpawnedServer, type StoreLocation } from '../service/service-harness';
import { signedGet } from '../service/service-test-kit';
import { POSTGRES_URL, readWholeLog, tempDir } from '../store/store-test-kit';
import { newNotarySeed } from '../support/negotiation-builder';
import { audit, exportLog, globalAuditor, messageDraft, negotiators, readModelsAndRebuild, sleep, TestChannel } from './reliability-kit';

jest.setTimeout(120_000);

const notarySeed = newNotarySeed();
const auditor = globalAuditor();
const baseEnv = { ...auditor.env, PARLEY_NOTARY_SEED: notarySeed, LOG_LEVEL: 'warn' };

/** Clients appending messages until `stop()`; counts what was acknowledged. */
function keepAppending(sessions: ChannelSession[], stop: () => boolean): { acked: () => number; done: Promise<void> } {
  let acked = 0;
  const done = Promise.all(
    sessions.map(async (s, i) => {
      for (let k = 0; !stop(); k++) {
        await s.submit(messageDraft(`backup load ${i}/${k}`), { attempts: 30 });
        acked++;
      }
    }),
  ).then(() => undefined);
  return { acked: () => acked, done };
}

/** Everything a client sees of each channel, as served: head, events (exact bytes) and agreement state. */
async function servedState(url: string, channels: TestChannel[]): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const c of channels) {
    const keys = c.n.keys(c.writers[0]);
    const [head, events, state] = await Promise.all(
      ['head', 'events?limit=10000', 'state'].map((path) => signedGet(url, `/v1/channels/${c.id}/${path}`, keys)),
    );
    out[c.id] = { head: [head.status, head.json], events: [events.status, events.text], state: [state.status, state.json] };
  }
  const requests = await signedGet(url, '/v1/requests?status=open', channels[0].n.keys(channels[0].writers[0]));
  out.requests = [requests.status, requests.json];
  return out;
}

async function openChannels(url: string): Promise<TestChannel[]> {
  const channels = [await TestChannel.open(url, notarySeed, negotiators(1)), await TestChannel.open(url, notarySeed, negotiators(1))];
  // A request so that the read models hold more than channels.
  await channels[0].session('ua.n0').submit(() => ({
    type: 'ReunificationRequested',
    meta: { request: '0b6f1f5c-9a40-4d7e-8d7e-1f6f0f9a2c11', category: 'minor', holder: 'ru' },
    content: { person: { fullName: 'backup test' }, family: {}, notes: '' },
  }));
  return channels;
}

describe('SQLite online backup (parley backup)', () => {
  let location: StoreLocation;
  let server: SpawnedServer;
  const scratch = tempDir('parley-backup-');
  const restored: { server?: SpawnedServer; location?: StoreLocation } = {};

  beforeAll(async () => {
    location = newStoreLocation('sqlite');
    server = await spawnServer({ ...location.env, ...baseEnv });
  });

  afterAll(async () => {
    await restored.server?.stop();
    await server?.stop();
    await restored.location?.remove();
    await location?.remove();
    scratch.remove();
  });

  it('given appends that continue during the backup, then the copy is a prefix of the live log that audits clean, and a server on a restored copy serves the same state', async () => {
    const channels = await openChannels(server.url);
    let stop = false;
    const load = keepAppending(
      channels.flatMap((c) => c.writers.map((w) => c.session(w))),
      () => stop,
    );
    await sleep(500);
    const before = load.acked();
    const online = join(scratch.path, 'online.sqlite');
    const result = await parley(['backup', '--to', online, '--json'], { PARLEY_DATA_DIR: location.env.PARLEY_DATA_DIR });
    await sleep(300);
    const after = load.acked();
    stop = true;
    await load.done;
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
    expect(result.json).toMatchObject({ ok: true, file: online });
    // No downtime: appends were acknowledged while the backup ran and after it.
    expect(after).toBeGreaterThan(before);

    const copy = await createEventStore({ kind: 'sqlite', file: online });
    const live = await createEventStore({ kind: 'sqlite', file: join(location.env.PARLEY_DATA_DIR, SQLITE_FILE_NAME) });
    try {
      const copied = await readWholeLog(copy);
      const liveLog = await readWholeLog(live);
      expect(copied.length).toBe(result.json.events);
      expect(copied.length).toBeGreaterThan(2);
      expect(copied).toEqual(liveLog.slice(0, copied.length));
      const verdict = await audit(copied.map((e) => e.data));
      expect({ ok: verdict.ok, violations: verdict.violations }).toEqual({ ok: true, violations: [] });
    } finally {
      await copy.close();
      await live.close();
    }

    // Restore a backup of the quiet store and compare what both servers serve.
    const quiet = join(scratch.path, 'quiet.sqlite');
    expect((await parley(['backup', '--to', quiet, '--data-dir', location.env.PARLEY_DATA_DIR], {})).code).toBe(0);
    expect((await parley(['backup', '--to', quiet, '--data-dir', location.env.PARLEY_DATA_DIR], {})).code).toBe(2);
    restored.location = newStoreLocation('sqlite');
    copyFileSync(quiet, join(restored.location.env.PARLEY_DATA_DIR, SQLITE_FILE_NAME));
    restored.server = await spawnServer({ ...restored.location.env, ...baseEnv });
    const { live: readModels, rebuilt } = await readModelsAndRebuild(restored.location);
    expect(rebuilt).toEqual(readModels);
    expect(await servedState(restored.server.url, channels)).toEqual(await servedState(server.url, channels));
    const exported = await exportLog(restored.server.url, auditor.identity);
    expect(exported).toEqual(await exportLog(server.url, auditor.identity));
    expect((await audit(exported)).ok).toBe(true);
  });

  it('given no store at the path, then it exits 2 and writes nothing', async () => {
    const missing = join(scratch.path, 'nowhere');
    const res = await parley(['backup', '--to', join(scratch.path, 'x.sqlite'), '--data-dir', missing], {});
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/no store at/);
    expect(existsSync(missing)).toBe(false);
    expect(readdirSync(scratch.path).filter((f) => f.startsWith('x.sqlite'))).toEqual([]);
  });
});

describe('PostgreSQL backup with pg_dump and pg_restore (docs/reliability.md)', () => {
  const hasTools = ['pg_dump', 'pg_restore'].every((tool) => {
    try {
      execFileSync(tool, ['--version']);
      return true;
    } catch {
      return false;
    }
  });
  let location: StoreLocation;
  let server: SpawnedServer;
  let restoredServer: SpawnedServer | undefined;
  const database = `parley_restore_${randomBytes(5).toString('hex')}`;
  const scratch = tempDir('parley-pgdump-');

  const admin = async (sql: string) => {
    const c = new Client({ connectionString: POSTGRES_URL });
    await c.connect();
    try {
      await c.query(sql);
    } finally {
      await c.end();
    }
  };

  beforeAll(async () => {
    if (!hasTools) throw new Error('pg_dump and pg_restore are needed for this suite (apt-get install postgresql-client)');
    location = newStoreLocation('postgres');
    server = await spawnServer({ ...location.env, ...baseEnv });
  });

  afterAll(async () => {
    await restoredServer?.stop();
    await server?.stop();
    await location?.remove();
    await admin(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
    scratch.remove();
  });

  it('given a pg_dump of the schema restored into another database, then a server on it serves the same state and the log audits clean', async () => {
    const channels = await openChannels(server.url);
    for (const c of channels) for (const w of c.writers) await c.session(w).submit(messageDraft(`before the dump: ${w}`));
    const schema = location.env.PARLEY_POSTGRES_SCHEMA;
    const dump = join(scratch.path, 'parley.dump');
    // The procedure of docs/reliability.md: a consistent snapshot while the server runs.
    execFileSync('pg_dump', ['--dbname', POSTGRES_URL, '--schema', schema, '--format', 'custom', '--file', dump]);
    await admin(`CREATE DATABASE "${database}"`);
    const restoredUrl = POSTGRES_URL.replace(/\/[^/]*$/, `/${database}`);
    execFileSync('pg_restore', ['--dbname', restoredUrl, '--exit-on-error', '--no-owner', dump]);

    mkdirSync(scratch.path + '/data', { recursive: true });
    restoredServer = await spawnServer({ ...baseEnv, PARLEY_DATA_DIR: scratch.path + '/data', PARLEY_STORE: 'postgres', PARLEY_POSTGRES_URL: restoredUrl, PARLEY_POSTGRES_SCHEMA: schema });
    expect(await servedState(restoredServer.url, channels)).toEqual(await servedState(server.url, channels));
    const exported = await exportLog(restoredServer.url, auditor.identity);
    expect(exported).toEqual(await exportLog(server.url, auditor.identity));
    const verdict = await audit(exported);
    expect({ ok: verdict.ok, events: verdict.events }).toEqual({ ok: true, events: 2 + 1 + 6 });
  });
});
