/**
 * A live SSE stream is for an active participant (DESIGN.md Part 3) for as long as it runs,
 * not only when it opens: once the reader's key is revoked, the server ends the stream and
 * sends nothing stored from the revocation on. Over real HTTP, SQLite and PostgreSQL.
 */
import { b64uDecode, ed25519Signer, fingerprint, signRequest } from '../../src/protocol';
import { SseParser } from '../../src/client/sse';
import { NegotiationBuilder } from '../support/negotiation-builder';
import { serverFor, type StoreKind } from './service-harness';
import { post, signedGet } from './service-test-kit';

/** Reads an open SSE response; `until` resolves once `ids` holds `n` messages, `ended` when the server closes it. */
function follow(res: Response): { ids: string[]; until: (n: number) => Promise<void>; ended: Promise<void> } {
  const ids: string[] = [];
  const parser = new SseParser();
  const waiters: { n: number; resolve: () => void }[] = [];
  const ended = (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of res.body!) {
      for (const m of parser.push(decoder.decode(chunk as Uint8Array, { stream: true }))) if (m.event === 'envelope') ids.push(m.id!);
      for (const w of waiters.filter((w) => ids.length >= w.n)) w.resolve();
    }
  })();
  const until = (n: number) => (ids.length >= n ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ n, resolve })));
  return { ids, until, ended };
}

const within = <T>(ms: number, what: string, p: Promise<T>): Promise<T> =>
  Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms).unref())]);

describe.each(['sqlite', 'postgres'] as StoreKind[])('a live stream on %s', (kind) => {
  const suite = serverFor(kind);
  const { notarySeed } = suite;

  it('given its reader revoked while it follows, then the stream ends and nothing from the revocation on reaches it', async () => {
    const n = NegotiationBuilder.open({ notarySeed });
    n.admit('ua.lead', { id: 'ua.obs', party: 'ua', role: 'observer' });
    const postNext = async (count: number) => {
      for (const env of n.log.slice(-count)) expect((await post(suite.server.url, n.channel, env)).status).toBe(201);
    };
    await postNext(2);

    const keys = n.keys('ua.obs');
    const target = `/v1/channels/${n.channel}/stream`;
    const headers = signRequest({ method: 'GET', target, keyid: fingerprint(keys), signer: ed25519Signer(b64uDecode(keys.signSeed, 32)!) });
    const reading = new AbortController(); // so that a failure does not leave the stream (and the server) open
    try {
      const res = await fetch(suite.server.url + target, { headers, signal: reading.signal });
      expect(res.status).toBe(200);
      const stream = follow(res);
      await within(10_000, 'the stored events', stream.until(2));

      n.message('ua.lead', ['ru', 'ua'], 'before');
      await postNext(1);
      await within(10_000, 'the live event', stream.until(3));

      n.revoke('ua.lead', 'ua.obs');
      n.message('ua.lead', ['ru', 'ua'], 'after');
      await postNext(2);
      await within(10_000, 'the end of the stream', stream.ended);
      expect(stream.ids).toEqual(['0', '1', '2']);
    } finally {
      reading.abort();
    }

    // And a new request of the key is refused, as for any key that is no active member.
    expect((await signedGet(suite.server.url, target, keys)).status).toBe(404);
  });
});
