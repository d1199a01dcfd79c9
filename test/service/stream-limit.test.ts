/**
 * PARLEY_MAX_STREAMS: live streams past the limit are answered 503 `unavailable` (clients
 * retry), and a stream that ends gives its place back.
 */
import { NegotiationBuilder, newNotarySeed } from '../support/negotiation-builder';
import { newStoreLocation, startServer, type StoreLocation, type TestServer } from './service-harness';
import { post, signedGetHeaders } from './service-test-kit';

describe('live streams past PARLEY_MAX_STREAMS', () => {
  const notarySeed = newNotarySeed();
  let location: StoreLocation;
  let server: TestServer;
  let n: NegotiationBuilder;

  beforeAll(async () => {
    location = newStoreLocation('sqlite');
    server = await startServer({ ...location.env, PARLEY_NOTARY_SEED: notarySeed, PARLEY_MAX_STREAMS: '2' }, { withoutNotaryAutomation: true });
    n = NegotiationBuilder.open({ notarySeed });
    expect((await post(server.url, n.channel, n.log[0])).status).toBe(201);
  });
  afterAll(async () => {
    await server?.close();
    await location?.remove();
  });

  const open = (signal: AbortSignal) => {
    const target = `/v1/channels/${n.channel}/stream`;
    return fetch(server.url + target, { signal, headers: signedGetHeaders(target, n.keys('ua.lead')) });
  };

  it('given two streams open, then a third is 503 unavailable; once one ends, a new one is served', async () => {
    const first = new AbortController();
    const second = new AbortController();
    const third = new AbortController();
    try {
      expect((await open(first.signal)).status).toBe(200);
      expect((await open(second.signal)).status).toBe(200);
      const refused = await open(third.signal);
      expect({ status: refused.status, retryAfter: refused.headers.get('retry-after'), body: await refused.json() }).toEqual({
        status: 503,
        retryAfter: '1',
        body: { error: 'unavailable', message: expect.stringMatching(/2 live streams, its limit: retry/) },
      });
      first.abort();
      // The server sees the client go when the socket closes: a moment later.
      let again = await open(third.signal);
      for (let i = 0; again.status === 503 && i < 50; i++) {
        await again.text();
        await new Promise((r) => setTimeout(r, 20));
        again = await open(third.signal);
      }
      expect(again.status).toBe(200);
    } finally {
      for (const c of [first, second, third]) c.abort();
    }
  });
});
