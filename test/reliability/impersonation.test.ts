/**
 * Impersonation and replay against a real server over HTTP: a signed envelope replayed into
 * another channel, an acceptance replayed against another proposal, a revoked key writing
 * and reading, non-members reading, a request signature replayed. Each is refused with the
 * status and code of DESIGN.md Part 3, and nothing is stored. On SQLite and PostgreSQL
 * (PARLEY_SOAK_STORES chooses).
 */
import { randomUUID } from 'node:crypto';
import { b64uDecode, ed25519Signer, eventHash, fingerprint, generateIdentity, signRequest, type Envelope } from '../../src/protocol';
import { newStoreLocation, startServer, type StoreLocation, type TestServer } from '../service/service-harness';
import { post, signedGet, storedLines } from '../service/service-test-kit';
import { DEFAULT_MEMBERS, NegotiationBuilder, newNotarySeed } from '../support/negotiation-builder';
import { storeKinds } from './reliability-kit';

jest.setTimeout(60_000);

describe.each(storeKinds(['sqlite', 'postgres']))('impersonation and replay on %s', (kind) => {
  const notarySeed = newNotarySeed();
  let location: StoreLocation;
  let server: TestServer;
  let a: NegotiationBuilder;
  let b: NegotiationBuilder;

  /** Posts `env` to `channel`, expecting the refusal, and checks that neither channel's log changed. */
  async function refused(channel: string, env: unknown, status: number, error: string): Promise<any> {
    const before = [await storedLines(server.store, a.channel), await storedLines(server.store, b.channel)];
    const res = await post(server.url, channel, env as object);
    expect({ status: res.status, error: res.json?.error }).toEqual({ status, error });
    expect([await storedLines(server.store, a.channel), await storedLines(server.store, b.channel)]).toEqual(before);
    return res.json;
  }

  async function appended(n: NegotiationBuilder, env: Envelope): Promise<void> {
    const res = await post(server.url, n.channel, env);
    expect(res.status).toBe(201);
  }

  beforeAll(async () => {
    location = newStoreLocation(kind);
    server = await startServer({ ...location.env, PARLEY_NOTARY_SEED: notarySeed });
    a = NegotiationBuilder.open({ notarySeed });
    // The same people, with the same keys, in a second channel: a signature is bound to its channel all the same.
    const identities = DEFAULT_MEMBERS.map((m) => ({ ...m, identity: a.members.get(m.id)!.identity }));
    b = NegotiationBuilder.open({ notarySeed, members: identities });
    await appended(a, a.log[0]);
    await appended(b, b.log[0]);
  });

  afterAll(async () => {
    await server?.close();
    await location?.remove();
  });

  it('given an envelope stored in channel A, when replayed into channel B (as is, or re-chained onto B) then 422 wrong_channel or bad_signature', async () => {
    const msg = a.message('ua.lead', ['ru', 'ua', 'us'], 'for channel A only');
    await appended(a, msg);
    expect(await refused(b.channel, msg, 422, 'wrong_channel')).toMatchObject({ seq: msg.seq });
    const rechained = { ...msg, channel: b.channel, seq: b.state.nextSeq, prev: b.state.head };
    await refused(b.channel, rechained, 422, 'bad_signature');
  });

  it("given ua's acceptance of proposal P1, when replayed verbatim, re-chained, or pointed at proposal P2 then it is stored once only and refused otherwise", async () => {
    const r1 = a.request('ua.lead', 'ru');
    const r2 = a.request('ua.lead', 'ru');
    const p1 = a.propose('us.envoy', [r1.meta.request]);
    const p2 = a.propose('us.envoy', [r2.meta.request]);
    for (const e of [r1, r2, p1, p2]) await appended(a, e);
    const acceptance = a.accept('ua.lead', p1.meta.proposal);
    await appended(a, acceptance);

    const retry = await post(server.url, a.channel, acceptance);
    expect({ status: retry.status, seq: retry.json.seq, hash: retry.json.hash }).toEqual({ status: 200, seq: acceptance.seq, hash: eventHash(acceptance) });
    await refused(a.channel, { ...acceptance, seq: a.state.nextSeq, prev: a.state.head }, 409, 'duplicate_id');
    const p2hash = a.proposalHash(p2.meta.proposal);
    const redirected = {
      ...acceptance,
      id: randomUUID(),
      seq: a.state.nextSeq,
      prev: a.state.head,
      meta: { proposal: p2.meta.proposal, proposalHash: p2hash },
    };
    await refused(a.channel, redirected, 422, 'bad_signature');
  });

  it('given ru.lead rotated out, when its old key writes then 422 revoked_sender, and when it reads then 404 not_found', async () => {
    const rotation = a.revoke('ru.lead', 'ru.lead', 'ru.lead2');
    await appended(a, rotation);
    const stale = a.build('ru.lead', 'MessagePosted', { audience: ['ru', 'ua', 'us'] }, { text: 'from a revoked key' });
    expect(await refused(a.channel, stale, 422, 'revoked_sender')).toMatchObject({ seq: stale.seq });
    for (const path of ['head', 'events', 'state', 'stream']) {
      const res = await signedGet(server.url, `/v1/channels/${a.channel}/${path}`, a.keys('ru.lead'));
      expect({ path, status: res.status, error: res.json?.error }).toEqual({ path, status: 404, error: 'not_found' });
    }
    expect((await signedGet(server.url, `/v1/channels/${a.channel}/head`, a.keys('ru.lead2'))).status).toBe(200);
  });

  it('when someone no channel knows reads then 401 unauthorized; when a member of another channel reads then 404 not_found', async () => {
    const stranger = generateIdentity();
    const outsider = NegotiationBuilder.open({ notarySeed });
    await appended(outsider, outsider.log[0]);
    for (const path of ['head', 'events', 'state']) {
      const target = `/v1/channels/${a.channel}/${path}`;
      const unknown = await signedGet(server.url, target, stranger);
      expect({ path, status: unknown.status, error: unknown.json?.error }).toEqual({ path, status: 401, error: 'unauthorized' });
      const other = await signedGet(server.url, target, outsider.keys('ua.lead'));
      expect({ path, status: other.status, error: other.json?.error }).toEqual({ path, status: 404, error: 'not_found' });
    }
    expect((await signedGet(server.url, '/v1/export', a.keys('ua.lead'))).status).toBe(404);
  });

  it('given a signed request that was answered, when the same signature is sent again (to the same or another target) then 401 unauthorized', async () => {
    const target = `/v1/channels/${a.channel}/head`;
    const keys = a.keys('ua.lead');
    const headers = signRequest({ method: 'GET', target, keyid: fingerprint(keys), signer: ed25519Signer(b64uDecode(keys.signSeed, 32)!) });
    expect((await fetch(server.url + target, { headers })).status).toBe(200);
    const replay = await fetch(server.url + target, { headers });
    expect({ status: replay.status, body: await replay.json() }).toEqual({ status: 401, body: { error: 'unauthorized', message: expect.stringMatching(/nonce/) } });
    for (const again of [target, `/v1/channels/${a.channel}/events`, `/v1/channels/${b.channel}/head`]) {
      const res = await fetch(server.url + again, { headers });
      expect({ again, status: res.status, error: ((await res.json()) as { error: string }).error }).toEqual({ again, status: 401, error: 'unauthorized' });
    }
  });
});
