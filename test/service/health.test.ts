/**
 * Readiness follows the store: with the store gone, /health answers 503 naming the check that
 * is down; with a store that answers reads but refuses writes (a full disk: here SQLite's
 * own page limit, which fails writes with SQLITE_FULL as a full disk does), after calls fail
 * for it, readiness is 503 too, and ready again once writes go through.
 */
import { NegotiationBuilder, newNotarySeed } from '../support/negotiation-builder';
import type { SqliteEventStore } from '../../src/store/sqlite/sqlite-event-store.adapter';
import { newStoreLocation, startServer, type StoreLocation, type TestServer } from './service-harness';
import { post } from './service-test-kit';

describe('readiness', () => {
  let location: StoreLocation;
  let server: TestServer;
  const notarySeed = newNotarySeed();

  beforeAll(async () => {
    location = newStoreLocation('sqlite');
    server = await startServer({ ...location.env, PARLEY_NOTARY_SEED: notarySeed });
  });

  afterAll(async () => {
    await server?.close();
    await location?.remove();
  });

  it('given a store that answers reads but refuses writes, when an append fails for it, then readiness is 503 until writes go through again', async () => {
    const n = NegotiationBuilder.open({ notarySeed });
    expect((await post(server.url, n.channel, n.log[0])).status).toBe(201);
    expect((await fetch(`${server.url}/health/ready`)).status).toBe(200);
    const db = (server.store as SqliteEventStore).database;
    const pages = db.pragma('page_count', { simple: true }) as number;
    db.pragma(`max_page_count = ${pages}`); // "database or disk is full" from the next page on
    try {
      // The pages' free room filled too, as on a disk with no byte left.
      for (let i = 0; ; i++) {
        const full = await server.store.rememberNonce('filler', `n${i}`, Date.now() + 3_600_000).then(() => false, (e: { code?: string }) => e.code === 'SQLITE_FULL');
        if (full) break;
        if (i > 100_000) throw new Error('never full');
      }
      const big = n.build('ua.lead', 'MessagePosted', { audience: ['ru', 'ua'] }, { text: 'x'.repeat(64 * 1024) });
      expect((await post(server.url, n.channel, big)).status).toBe(503);
      const ready = await fetch(`${server.url}/health/ready`);
      expect({ status: ready.status, body: await ready.json() }).toMatchObject({ status: 503, body: { health: { error: { store: { status: 'down', message: 'the store refuses writes' } } } } });
      // No request reaches an instance that is not ready: a minute and more on, the disk still
      // full, only readiness's own failing probe keeps it not ready (the clock moved for that).
      const real = Date.now.bind(Date);
      const clock = jest.spyOn(Date, 'now');
      try {
        for (const later of [59_000, 118_000]) {
          clock.mockImplementation(() => real() + later);
          expect({ later, status: (await fetch(`${server.url}/health/ready`)).status }).toEqual({ later, status: 503 });
        }
      } finally {
        clock.mockRestore();
      }
    } finally {
      db.pragma('max_page_count = 4294967294');
    }
    expect((await fetch(`${server.url}/health/ready`)).status).toBe(200);
  });

  it('given a reachable store then 200; when the store is closed then 503 unavailable with the store down, while liveness stays 200', async () => {
    expect((await fetch(`${server.url}/health/ready`)).status).toBe(200);
    await server.store.close();
    const res = await fetch(`${server.url}/health`);
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({
      error: 'unavailable',
      message: expect.any(String),
      health: { status: 'error', error: { store: { status: 'down' } } },
    });
    expect((await fetch(`${server.url}/health/live`)).status).toBe(200);
  });
});
