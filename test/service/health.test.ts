/** Readiness follows the store: with the store gone, /health answers 503 naming the check that is down. */
import { newNotarySeed } from '../support/negotiation-builder';
import { newStoreLocation, startServer, type StoreLocation, type TestServer } from './service-harness';

describe('readiness', () => {
  let location: StoreLocation;
  let server: TestServer;

  beforeAll(async () => {
    location = newStoreLocation('sqlite');
    server = await startServer({ ...location.env, PARLEY_NOTARY_SEED: newNotarySeed() });
  });

  afterAll(async () => {
    await server?.close();
    await location?.remove();
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
