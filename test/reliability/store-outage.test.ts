/**
 * PostgreSQL going away under a running service (a restart, a failover, a cut network) and
 * coming back. The service (`node dist/src/main.js`, as `npm start` runs it) reaches
 * PostgreSQL through a relay that drops every connection and refuses new ones while "down".
 */
import { Client } from 'pg';
import { ParleyHttpClient } from '../../src/client';
import { type Envelope } from '../../src/protocol';
import { post, signedGet } from '../service/service-test-kit';
import { newStoreLocation, spawnServer, type SpawnedServer, type StoreLocation } from '../service/service-harness';
import { POSTGRES_URL } from '../store/store-test-kit';
import { NegotiationBuilder, newNotarySeed } from '../support/negotiation-builder';
import { FaultProxy } from '../support/fault-proxy';
import { audit, exportLog, globalAuditor, readModelsAndRebuild, sleep } from './reliability-kit';

describe('given a service whose PostgreSQL goes away and comes back', () => {
  const relay = new FaultProxy();
  const notarySeed = newNotarySeed();
  const auditor = globalAuditor();
  let location: StoreLocation;
  let server: SpawnedServer;

  beforeAll(async () => {
    const pg = new URL(POSTGRES_URL);
    pg.port ||= '5432';
    await relay.start(pg.href);
    location = newStoreLocation('postgres');
    const viaRelay = new URL(POSTGRES_URL);
    viaRelay.host = new URL(relay.url).host;
    server = await spawnServer({
      ...location.env,
      ...auditor.env,
      PARLEY_POSTGRES_URL: viaRelay.href,
      PARLEY_NOTARY_SEED: notarySeed,
      LOG_LEVEL: 'warn',
    });
  });

  afterAll(async () => {
    await relay.up(); // so that the server can shut down cleanly
    if (server) await server.stop();
    await location?.remove();
    await relay.stop();
  });

  const health = async () => (await fetch(`${server.url}/health`)).status;

  it('while it is away, an append answers 503 unavailable and stores nothing, and readiness is 503; once back, the same append is stored once, and live readers and read models go on', async () => {
    const n = NegotiationBuilder.open({ notarySeed });
    const channel = n.channel;
    expect((await post(server.url, channel, n.log[0])).status).toBe(201);
    expect((await post(server.url, channel, n.message('ua.lead', ['ru', 'ua']))).status).toBe(201);

    // A member follows the channel live through the SDK across the whole outage.
    const reader = new ParleyHttpClient({ server: server.url, keys: n.keys('ru.lead') });
    const stop = new AbortController();
    const seen: number[] = [];
    const following = (async () => {
      for await (const m of reader.stream(channel, { signal: stop.signal, retryMs: 100 })) seen.push(Number(m.id));
    })().catch((err: Error) => (stop.signal.aborted ? undefined : err));
    try {
      await waitUntil(() => seen.length === 2, 'the reader to catch up');

      const connectionsBefore = relay.connections;
      await relay.down();
      const during = n.message('ua.lead', ['ru', 'ua'], 'sent while the database is away');
      const refused = await post(server.url, channel, during);
      expect({ status: refused.status, error: refused.json.error }).toEqual({ status: 503, error: 'unavailable' });
      expect(refused.json.message).toMatch(/event store cannot be reached/);
      expect(refused.retryAfter).toBe('1');
      expect(await health()).toBe(503);
      // Still away: a second attempt is refused the same way, neither hung nor a 500.
      expect((await post(server.url, channel, during)).status).toBe(503);
      expect(server.child.exitCode).toBeNull();
      // Logged as the outage it is, not as a bug.
      expect(server.output()).toMatch(/event store unavailable/);
      expect(server.output()).not.toMatch(/unexpected/);

      await relay.up();
      await waitUntil(async () => (await health()) === 200, 'readiness to come back');
      // The outage was real: the service's connections were cut, and it opened new ones.
      expect(relay.connections).toBeGreaterThan(connectionsBefore);
      const stored = await post(server.url, channel, during);
      expect({ status: stored.status, seq: stored.json.seq }).toEqual({ status: 201, seq: 2 });
      await waitUntil(() => seen.length === 3, 'the reader to receive the event appended after the outage');
      const after = n.message('ru.lead', ['ru', 'ua'], 'and after');
      expect((await post(server.url, channel, after)).status).toBe(201);
      await waitUntil(() => seen.length === 4, 'the reader to receive the next event live');
    } finally {
      stop.abort();
    }
    expect(await following).toBeUndefined();
    expect(seen).toEqual([0, 1, 2, 3]);

    // The projected agreement state follows the log again.
    await waitUntil(async () => {
      const state = await signedGet(server.url, `/v1/channels/${channel}/state`, n.keys('ua.lead'));
      return state.status === 200 && (state.json.head as { seq?: number } | undefined)?.seq === 4;
    }, 'the channel state to reach the head');

    // Nothing lost, nothing doubled, every event verifies; the read models equal a rebuild.
    const lines = await exportLog(server.url, auditor.identity);
    expect(lines.map((l) => (JSON.parse(l) as Envelope).id)).toEqual([...n.log.map((e) => e.id)]);
    expect((await audit(lines)).ok).toBe(true);
    const { live, rebuilt } = await readModelsAndRebuild(location);
    expect(live).toEqual(rebuilt);
  });
});

describe('given a service stopped while PostgreSQL holds its append behind a lock taken elsewhere', () => {
  const notarySeed = newNotarySeed();
  let location: StoreLocation;
  let server: SpawnedServer;
  const locker = new Client({ connectionString: POSTGRES_URL });

  beforeAll(async () => {
    location = newStoreLocation('postgres');
    server = await spawnServer({ ...location.env, PARLEY_NOTARY_SEED: notarySeed, PARLEY_SHUTDOWN_GRACE_S: '1', LOG_LEVEL: 'warn' });
    await locker.connect();
  });

  afterAll(async () => {
    await locker.end().catch(() => undefined);
    if (server) await server.stop();
    await location?.remove();
  });

  it('when sent SIGTERM, then it cuts the append off at the grace and exits 1 after the grace and the hooks\' 5 s, saying why, rather than waiting for ever', async () => {
    const n = NegotiationBuilder.open({ notarySeed });
    expect((await post(server.url, n.channel, n.log[0])).status).toBe(201);
    await locker.query('BEGIN');
    await locker.query(`LOCK TABLE ${location.env.PARLEY_POSTGRES_SCHEMA}.events IN ACCESS EXCLUSIVE MODE`);
    try {
      // Whether the process was still up when the append was cut off: the drain cut it at the grace, not the exit.
      const blocked = post(server.url, n.channel, n.message('ua.lead', ['ru', 'ua'])).catch((err: Error) => ({ err: String(err), serverUp: server.child.exitCode === null && server.child.signalCode === null }));
      await sleep(300);
      const started = Date.now();
      expect(await server.stop()).toEqual({ code: 1, signal: null });
      expect(Date.now() - started).toBeLessThan(15_000);
      // Cut off, unanswered. (PostgreSQL may still commit it once the lock goes, the process gone:
      // as after any lost answer, the SDK's retry under the same id then gets 200.)
      expect(await blocked).toEqual({ err: expect.stringMatching(/fetch failed/), serverUp: true });
      expect(server.output()).toMatch(/"msg":"stopping: 1 request\(s\) still in flight after 1 s are cut off"/);
      expect(server.output()).toMatch(/"msg":"stopping \(SIGTERM\) took more than 6 s: exiting without the rest"/);
    } finally {
      await locker.query('ROLLBACK');
    }
  });
});

async function waitUntil(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}
