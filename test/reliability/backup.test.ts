/**
 * Backup and restore. SQLite: `parley backup --to FILE` (a real CLI process) copies the store
 * of a running server while SDK clients keep appending — no downtime: appends are acknowledged
 * while the backup holds its snapshot of the live store (the process is stopped mid-copy to
 * make that last); the copy is a prefix of the live log that audits clean, and a server started
 * on it by `parley restore` serves the same heads, events and read models as the original. PostgreSQL: the
 * documented pg_dump / pg_restore procedure (docs/reliability.md), restored into a database of
 * its own and served the same way.
 */
import Database from 'better-sqlite3';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { Client } from 'pg';
import { ChannelSession } from '../../src/client';
import { createEventStore, SQLITE_FILE_NAME } from '../../src/store/event-store.factory';
import { parley } from '../cli/parley-harness';
import { newStoreLocation, spawnServer, type SpawnedServer, type StoreLocation } from '../service/service-harness';
import { post, signedGet } from '../service/service-test-kit';
import { POSTGRES_URL, readWholeLog, tempDir } from '../store/store-test-kit';
import { newNotarySeed } from '../support/negotiation-builder';
import { audit, exportLog, globalAuditor, messageDraft, negotiators, readModelsAndRebuild, sleep, TestChannel } from './reliability-kit';

jest.setTimeout(120_000);

const notarySeed = newNotarySeed();
const auditor = globalAuditor();
const baseEnv = { ...auditor.env, PARLEY_NOTARY_SEED: notarySeed, LOG_LEVEL: 'warn' };

/** An acknowledged append: its envelope's id, and when (performance.now()) it was submitted and answered. */
interface Ack {
  sent: number;
  at: number;
  id: string;
}

/** Clients appending messages until `stop()`; records every acknowledgement. */
function keepAppending(sessions: ChannelSession[], stop: () => boolean): { acks: Ack[]; done: Promise<void> } {
  const acks: Ack[] = [];
  const done = Promise.all(
    sessions.map(async (s, i) => {
      for (let k = 0; !stop(); k++) {
        const sent = performance.now();
        const { envelope } = await s.submit(messageDraft(`backup load ${i}/${k}`), { attempts: 30 });
        acks.push({ sent, at: performance.now(), id: envelope.id });
      }
    }),
  ).then(() => undefined);
  return { acks, done };
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

/**
 * Large messages in a channel of their own (random bytes in place of the ciphertext, as in the
 * slow-consumer suite: the server never decrypts), so that the backup's copy takes a couple of
 * hundred ms rather than one: long enough to be caught under way from outside.
 */
async function addBallast(url: string, events: number, kb: number): Promise<void> {
  const c = await TestChannel.open(url, notarySeed, negotiators(1));
  for (let i = 0; i < events; i++) {
    const box = randomBytes(kb * 1024).toString('base64url');
    const env = c.n.build(c.writers[i % 3], 'MessagePosted', { audience: ['ru', 'ua', 'us'] }, { text: 'ballast' }, (e) => void (e.body!.box = box));
    const res = await post(url, c.id, JSON.stringify(env));
    if (res.status !== 201) throw new Error(`ballast append answered ${res.status}: ${res.text}`);
    c.n.apply(env);
  }
}

/** SQLITE_MAX_PAGE_COUNT: what the backup asks to copy in one step (src/store/sqlite/sqlite-backup.ts). */
const ALL_PAGES = 0x7fffffff;

/** How long the backup's one long step takes on this store, measured as the backup makes it. */
async function copyMs(dataDir: string, scratchDir: string): Promise<number> {
  const to = join(scratchDir, `timing-${randomBytes(4).toString('hex')}.sqlite`);
  const db = new Database(join(dataDir, SQLITE_FILE_NAME), { readonly: true, fileMustExist: true });
  try {
    const started = performance.now();
    await db.backup(to, { progress: () => ALL_PAGES });
    return performance.now() - started;
  } finally {
    db.close();
    rmSync(to, { force: true });
  }
}

/**
 * Whether process `pid` has a read transaction open on the SQLite database whose WAL index is
 * `shm`: it then holds a shared lock on one of the read-mark bytes 123-127 of that file
 * (WAL_READ_LOCK(0..4), https://www.sqlite.org/walformat.html), listed in /proc/locks.
 */
function holdsWalReadLock(pid: number, shm: string): boolean {
  const inode = statSync(shm).ino;
  return readFileSync('/proc/locks', 'utf8')
    .split('\n')
    .map((line) => line.trim().split(/\s+/)) // "1: POSIX ADVISORY READ <pid> <maj>:<min>:<inode> <start> <end>"
    .some((f) => f[1] === 'POSIX' && Number(f[4]) === pid && Number(f[5]?.split(':')[2]) === inode && Number(f[6]) >= 123 && Number(f[6]) <= 127);
}

/**
 * `parley backup --to FILE --json` (a real CLI process), stopped with SIGSTOP for `pauseMs` in
 * the middle of its copy, then continued. This store copies in a few hundred ms, too short to
 * tell reliably whether writers wait for a backup; stopped mid-copy, the backup keeps whatever
 * it holds on the live store (its read snapshot, or a lock if it took one) for the whole pause,
 * as the copy of a big store on a slow disk would. The process is found by its copy's name
 * (FILE.partial-<pid>-<random>); its copy is under way once it has a read transaction open on the live
 * store. That is awaited, then 50 ms more: better-sqlite3 first takes a zero-page step, whose
 * read transaction lasts well under a millisecond, before the one step that copies every page
 * (were the pause in the first, the copy's snapshot would postdate it: checked by the test).
 * Once stopped, the read transaction must still be open, or the copy is over and `pause` null.
 */
async function backupStoppedMidCopy(
  dataDir: string,
  to: string,
  pauseMs: number,
): Promise<{ result: Awaited<ReturnType<typeof parley>>; launched: number; pause: { from: number; to: number } | null }> {
  const shm = join(dataDir, `${SQLITE_FILE_NAME}-shm`);
  const prefix = `${basename(to)}.partial-`;
  const launched = performance.now();
  let finished = false;
  const run = parley(['backup', '--to', to, '--json'], { PARLEY_DATA_DIR: dataDir }).finally(() => (finished = true));
  let pid: number | undefined;
  while (!finished && !(pid && holdsWalReadLock(pid, shm))) {
    const partial = readdirSync(dirname(to)).find((f) => f.startsWith(prefix));
    if (partial) pid = Number(/^\d+/.exec(partial.slice(prefix.length))![0]);
    await sleep(1);
  }
  let pause = null;
  if (pid && !finished) {
    await sleep(50);
    process.kill(pid, 'SIGSTOP');
    try {
      if (holdsWalReadLock(pid, shm)) {
        const from = performance.now();
        await sleep(pauseMs);
        pause = { from, to: performance.now() };
      }
    } finally {
      process.kill(pid, 'SIGCONT');
    }
  }
  return { result: await run, launched, pause };
}

describe('SQLite online backup (parley backup)', () => {
  let location: StoreLocation;
  let server: SpawnedServer;
  const scratch = tempDir('parley-backup-');
  const restored: { server?: SpawnedServer; location?: StoreLocation } = {};

  beforeAll(async () => {
    location = newStoreLocation('sqlite');
    server = await spawnServer({ ...location.env, ...baseEnv });
    await addBallast(server.url, 48, 512); // some 34 MB, copied in 100-250 ms here
    // backupStoppedMidCopy stops the copy 50 ms into it: on a machine faster than ours, more
    // ballast keeps the copy long enough for that to land in the middle of it.
    for (let round = 0; round < 5 && (await copyMs(location.env.PARLEY_DATA_DIR, scratch.path)) < 100; round++) {
      await addBallast(server.url, 48, 512);
    }
  });

  afterAll(async () => {
    await restored.server?.stop();
    await server?.stop();
    await restored.location?.remove();
    await location?.remove();
    scratch.remove();
  });

  it('given appends that continue during the backup, then they are acknowledged while it copies, the copy is a prefix of the live log that audits clean, and a server on a restored copy serves the same state', async () => {
    const channels = await openChannels(server.url);
    let stop = false;
    const load = keepAppending(
      channels.flatMap((c) => c.writers.map((w) => c.session(w))),
      () => stop,
    );
    await sleep(500);
    const online = join(scratch.path, 'online.sqlite');
    const { result, launched, pause } = await backupStoppedMidCopy(location.env.PARLEY_DATA_DIR, online, 1_000);
    stop = true;
    await load.done;
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
    expect(result.json).toMatchObject({ ok: true, file: online });
    // The backup was stopped while copying (not before it began, nor after it), else nothing below means anything.
    expect({ stoppedMidCopy: pause !== null }).toEqual({ stoppedMidCopy: true });
    // Appends submitted and acknowledged while the backup was stopped: committed in that time, not just answered late.
    const during = load.acks.filter((a) => a.sent > pause!.from && a.at < pause!.to);

    const copy = await createEventStore({ kind: 'sqlite', file: online });
    const live = await createEventStore({ kind: 'sqlite', file: join(location.env.PARLEY_DATA_DIR, SQLITE_FILE_NAME) });
    try {
      const copied = await readWholeLog(copy);
      const liveLog = await readWholeLog(live);
      expect(copied.length).toBe(result.json.events);
      expect(copied.length).toBeGreaterThan(2);
      expect(copied).toEqual(liveLog.slice(0, copied.length));
      const inCopy = new Set(copied.map((e) => e.id));
      // No downtime: appends went through while the stopped backup held its read snapshot of the
      // live store, and the copy does not hold them: they were committed after that snapshot (so
      // it was the copy's and was taken before the pause). A backup that locked writers out while
      // it copied would let none through here.
      expect(during.length).toBeGreaterThan(0);
      expect(during.filter((a) => inCopy.has(a.id))).toEqual([]);
      // What was acknowledged before the backup started is in the copy (and ids are compared alike).
      const before = load.acks.filter((a) => a.at < launched);
      expect(before.length).toBeGreaterThan(0);
      expect(before.filter((a) => !inCopy.has(a.id))).toEqual([]);
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
    // Never over the store of a running service.
    const refused = await parley(['restore', '--from', quiet, '--data-dir', location.env.PARLEY_DATA_DIR], {});
    expect({ code: refused.code, stderr: refused.stderr }).toEqual({ code: 2, stderr: expect.stringMatching(/^parley: usage: .* is open in another process \(a service running on it\?\); stop it, then restore\n$/) });
    restored.location = newStoreLocation('sqlite');
    const restore = await parley(['restore', '--from', quiet, '--data-dir', restored.location.env.PARLEY_DATA_DIR, '--json'], { PARLEY_NOTARY_SEED: '' });
    expect({ code: restore.code, json: restore.json }).toEqual({
      code: 0,
      json: expect.objectContaining({ ok: true, file: join(restored.location.env.PARLEY_DATA_DIR, SQLITE_FILE_NAME), replaced: null, warnings: [expect.stringMatching(/^no notary\.key in .*: put the notary key back/)] }),
    });
    // Said for people: what was restored, what was kept, and what the participants will meet.
    const textDir = join(scratch.path, 'text-restore');
    mkdirSync(textDir);
    const text = await parley(['restore', '--from', quiet, '--data-dir', textDir], { PARLEY_NOTARY_SEED: 'set' });
    expect({ code: text.code, stdout: text.stdout, stderr: text.stderr }).toEqual({
      code: 0,
      stdout: `restored ${restore.json.events} events from ${quiet} to ${join(textDir, SQLITE_FILE_NAME)}\nevents appended after the backup are not in it: participants whose keystores verified some are refused the log until they accept it (parley status --accept-restore --channel <uuid>; docs/reliability.md)\n`,
      stderr: '',
    });
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
