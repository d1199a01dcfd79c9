/**
 * The service end to end over real HTTP on 127.0.0.1, against SQLite and PostgreSQL: the
 * vector negotiation replayed through POST and read back byte for byte (NDJSON, SSE, head);
 * a negotiation built with src/protocol; every refusal of DESIGN.md Part 3 with nothing
 * stored; request signatures (vectors, stale, replayed, forged, unknown, revoked).
 */
import { randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import {
  b64uDecode,
  canonical,
  ed25519Signer,
  eventHash,
  fingerprint,
  generateIdentity,
  parseStrictJson,
  serializeSignatureInput,
  signatureBase,
  signRequest,
  type Envelope,
  type UnsignedEnvelope,
} from '../../src/protocol';
import { ApiError } from '../../src/client';
import { MAX_PAGE } from '../../src/channels/dto/read-events-query.dto';
import { channelStream } from '../../src/store/event-store.port';
import { NegotiationBuilder } from '../support/negotiation-builder';
import { loadEnvelopeVectors, loadLogExpectations, loadRequestVectors, readLog, reference } from '../support/vectors';
import { newStoreLocation, startServer, type StoreKind, type StoreLocation, type TestServer } from './service-harness';
import { allStored, client, collectSse, post, signedGet, signedGetHeaders, storedLines, type Keys } from './service-test-kit';

jest.setTimeout(60_000);

// The reference negotiation, whose identities and seqs these tests name; the request vectors
// of PARLEY_VECTORS_DIR are checked against their own set's log further down.
const identity = (name: string) => reference.loadEnvelopeVectors().identities[name];
const LINES = reference.readLog(reference.validLog).split('\n').filter(Boolean);
const EXPECTED = reference.loadLogExpectations().find((e) => e.file === reference.validLog)!;
const CHANNEL = (JSON.parse(LINES[0]) as Envelope).channel;
/** The server stores (and serves) each envelope in canonical form, whatever the sender's spelling. */
const STORED = LINES.map((l) => canonical(parseStrictJson(l)));
const NOTARY_SEED = identity('notary').signSeed;
const globalAuditor = generateIdentity();

function signRequestHeaders(target: string, keys: { signSeed: string; signKey: string; boxKey: string }): Record<string, string> {
  return signRequest({ method: 'GET', target, keyid: fingerprint(keys), signer: ed25519Signer(b64uDecode(keys.signSeed, 32)!) });
}

describe.each(['sqlite', 'postgres'] as StoreKind[])('the service on %s', (kind) => {
  let location: StoreLocation;
  let server: TestServer;

  beforeAll(async () => {
    location = newStoreLocation(kind);
    server = await startServer(
      { ...location.env, PARLEY_NOTARY_SEED: NOTARY_SEED, PARLEY_AUDITORS: `${globalAuditor.signKey}:${globalAuditor.boxKey}` },
      { withoutNotaryAutomation: true },
    );
  });

  afterAll(async () => {
    await server?.close();
    await location?.remove();
  });

  describe('given the vector negotiation posted envelope by envelope', () => {
    beforeAll(async () => {
      for (const [seq, line] of LINES.entries()) {
        const answer = await post(server.url, CHANNEL, line);
        expect({ seq, status: answer.status }).toEqual({ seq, status: 201 });
        expect(answer.json).toEqual({ seq, hash: eventHash(parseStrictJson(line) as unknown as Envelope), position: expect.any(String) });
      }
    });

    it('then every append was stored in order with a position that orders as the log', async () => {
      const stored = await server.store.readStream(`parley-channel-${CHANNEL}`, 0, 1000);
      expect(stored.map((e) => e.data)).toEqual(STORED);
      const positions = stored.map((e) => e.position);
      expect([...positions].sort()).toEqual(positions);
    });

    it('then the head names the next seq and the vector log head', async () => {
      const answer = await signedGet(server.url, `/v1/channels/${CHANNEL}/head`, identity('ru.lead'));
      expect(answer.status).toBe(200);
      expect(answer.json).toEqual({ seq: EXPECTED.events, prev: EXPECTED.head });
    });

    it('then GET events answers the log byte for byte as NDJSON, whole and page by page', async () => {
      const whole = await signedGet(server.url, `/v1/channels/${CHANNEL}/events`, identity('ru.lead'));
      expect(whole.status).toBe(200);
      expect(whole.contentType).toMatch(/^application\/x-ndjson/);
      expect(whole.text).toBe(STORED.join('\n') + '\n');

      const page = await signedGet(server.url, `/v1/channels/${CHANNEL}/events?from=20&limit=3`, identity('ru.lead'));
      expect(page.text).toBe(STORED.slice(20, 23).join('\n') + '\n');

      const paged: string[] = [];
      for await (const line of client(server.url, identity('us.envoy')).events(CHANNEL, { pageSize: 5 })) paged.push(line.raw.toString('utf8'));
      expect(paged).toEqual(STORED);
    });

    it('then the SSE stream gives every envelope with its seq as id, and resumes after Last-Event-ID', async () => {
      const sdk = client(server.url, identity('ru.lead'));
      const all = await collectSse(sdk, CHANNEL, LINES.length);
      expect(all.map((m) => m.id)).toEqual(LINES.map((_l, i) => String(i)));
      expect(all.every((m) => m.event === 'envelope')).toBe(true);
      expect(all.map((m) => m.data)).toEqual(STORED);

      const resumed = await collectSse(sdk, CHANNEL, 3, { lastEventId: '20' });
      expect(resumed.map((m) => [m.id, m.data])).toEqual([21, 22, 23].map((i) => [String(i), STORED[i]]));
    });

    it('then an identical retry answers 200 with the stored result and stores nothing', async () => {
      const first = (await server.store.readStream(`parley-channel-${CHANNEL}`, 5, 1))[0];
      const retry = await post(server.url, CHANNEL, LINES[5]);
      expect(retry.status).toBe(200);
      expect(retry.json).toEqual({ seq: 5, hash: eventHash(parseStrictJson(LINES[5]) as unknown as Envelope), position: first.position });
      // The same envelope re-serialised with other whitespace is the same envelope.
      const spaced = await post(server.url, CHANNEL, JSON.stringify(JSON.parse(LINES[5]), null, 2));
      expect(spaced.status).toBe(200);
      expect(await storedLines(server.store, CHANNEL)).toEqual(STORED);
    });

    it('then a key rotated out (ua.lead) is refused 404 and its replacement (ua.lead2) reads', async () => {
      const old = await signedGet(server.url, `/v1/channels/${CHANNEL}/head`, identity('ua.lead'));
      expect(old.status).toBe(404);
      expect(old.json).toEqual({ error: 'not_found', message: expect.stringMatching(/this key is not \(or no longer\) an active participant/) });
      const rotated = await signedGet(server.url, `/v1/channels/${CHANNEL}/head`, identity('ua.lead2'));
      expect(rotated.status).toBe(200);
    });

    it('then GET /v1/export gives a global auditor every channel in global order, and a participant 404', async () => {
      const before = await allStored(server.store);
      const exported = await signedGet(server.url, '/v1/export', globalAuditor);
      expect(exported.status).toBe(200);
      const lines = exported.text.split('\n').filter(Boolean);
      expect(lines.length).toBe(before);
      expect(lines.filter((l) => l.includes(CHANNEL))).toEqual(STORED);
      const participant = await signedGet(server.url, '/v1/export', identity('ru.lead'));
      expect(participant.status).toBe(404);
      expect(participant.json.message).toMatch(/only the global auditors/);
    });
  });

  describe('given the request vectors of PARLEY_VECTORS_DIR and the valid log of their channel', () => {
    it('then each signed GET of a channel route is accepted byte for byte once, and refused as a replay after (clock pinned to their created)', async () => {
      const requests = loadRequestVectors();
      const cases = requests.cases.filter((x) => x.method === 'GET' && x.path.startsWith('/v1/channels/'));
      expect(cases.length).toBeGreaterThan(0);
      const logs = loadLogExpectations()
        .filter((e) => e.ok)
        .map((e) => readLog(e.file).split('\n').filter(Boolean));
      const lines = logs.find((l) => cases.every((c) => c.path.startsWith(`/v1/channels/${(JSON.parse(l[0]) as Envelope).channel}/`)));
      if (!lines) throw new Error('no valid log in the vector set opens the channel its request vectors read');
      const opening = JSON.parse(lines[0]) as Envelope<'ChannelOpened'>;
      const notary = Object.values(loadEnvelopeVectors().identities).find((i) => i.signKey === opening.meta.notary.signKey);
      if (!notary) throw new Error("no identity in the vector set holds the channel's notary key");
      const own = newStoreLocation(kind);
      // Posted before the clock is pinned: the log's events are later than the requests' created.
      let writer: TestServer | undefined = await startServer({ ...own.env, PARLEY_NOTARY_SEED: notary.signSeed }, { withoutNotaryAutomation: true });
      let pinned: TestServer | undefined;
      try {
        // That channel's lines only: a valid log may interleave several channels.
        const channelLines = lines.filter((line) => (JSON.parse(line) as Envelope).channel === opening.channel);
        for (const line of channelLines) expect((await post(writer.url, opening.channel, line)).status).toBe(201);
        await writer.close();
        writer = undefined;
        pinned = await startServer(
          { ...own.env, PARLEY_NOTARY_SEED: notary.signSeed },
          { clock: () => requests.cases[0].created * 1000, withoutNotaryAutomation: true },
        );
        for (const c of cases) {
          const res = await fetch(pinned.url + c.path, { headers: c.headers });
          expect({ name: c.name, status: res.status }).toEqual({ name: c.name, status: 200 });
          await res.text();
          // Single-use: the same signed request again is a replay.
          const again = await fetch(pinned.url + c.path, { headers: c.headers });
          expect({ name: c.name, status: again.status, body: await again.json() }).toEqual({
            name: c.name,
            status: 401,
            body: { error: 'unauthorized', message: expect.stringMatching(/nonce/) },
          });
        }
      } finally {
        await writer?.close();
        await pinned?.close();
        await own.remove();
      }
    });
  });

  describe('given a negotiation built with src/protocol', () => {
    let n: NegotiationBuilder;
    const appended: string[] = [];

    /** Appends through the SDK, except where the server's own notary may already have agreed. */
    async function send(env: Envelope): Promise<void> {
      const result = await client(server.url).append(env);
      expect(result).toMatchObject({ status: 201, seq: env.seq, hash: eventHash(env) });
      appended.push(canonical(env));
    }

    beforeAll(async () => {
      n = NegotiationBuilder.open({ notarySeed: NOTARY_SEED, policy: { quorum: 'sides', auditorsRead: true } });
      await send(n.log[0]);
    });

    it('then a whole negotiation is accepted step by step', async () => {
      const steps: (() => Envelope)[] = [];
      let r1 = '';
      let r2 = '';
      let r3 = '';
      let p1 = '';
      let p2 = '';
      let p3 = '';
      steps.push(
        () => n.message('ua.lead', ['ua', 'us'], 'to the mediator only'),
        () => (r1 = n.request('ua.lead', 'ru').meta.request, n.log.at(-1)!),
        () => (r2 = n.request('ua.lead', 'ru', 'adult-displaced-as-minor').meta.request, n.log.at(-1)!),
        () => (r3 = n.request('ru.lead', 'ua').meta.request, n.log.at(-1)!),
        () => n.share('ru.lead', r1, 'health'),
        () => (p1 = n.propose('us.envoy', [r1, r2]).meta.proposal, n.log.at(-1)!),
        () => (p2 = n.propose('ru.lead', [r1, r2], p1).meta.proposal, n.log.at(-1)!), // counter-proposal
        () => n.reject('ua.lead', p2),
        () => (p3 = n.propose('us.envoy', [r1, r2]).meta.proposal, n.log.at(-1)!),
        () => n.accept('ua.lead', p3),
        () => n.accept('ru.lead', p3),
        () => n.agree(p3),
        () => n.handover('ru.lead', p3, r1, 'released'),
        () => n.handover('ua.lead', p3, r1, 'received'),
        () => n.complete('ua.lead', r1),
        () => n.withdrawRequest('ru.lead', r3, 'resolved-elsewhere'),
        () => n.admit('ru.lead', { id: 'ru.deputy', party: 'ru', role: 'negotiator' }),
        () => n.revoke('ua.lead', 'ua.lead', 'ua.lead2'), // key rotation
        () => n.message('ua.lead2', ['ru', 'ua', 'us'], 'after rotation'),
      );
      for (const step of steps) await send(step());
      expect(await storedLines(server.store, n.channel)).toEqual(appended);
      const head = await client(server.url, n.keys('ru.deputy')).head(n.channel);
      expect(head).toEqual({ seq: n.state.nextSeq, prev: n.state.head });
    });

    it('then a live SSE reader gets a new event as it is appended', async () => {
      const sdk = client(server.url, n.keys('us.envoy'));
      const from = String(n.state.nextSeq - 1);
      const live = collectSse(sdk, n.channel, 1, { lastEventId: from });
      await new Promise((r) => setTimeout(r, 300)); // the reader is waiting at the head
      const env = n.message('us.envoy', ['ru', 'ua', 'us'], 'live');
      await send(env);
      const [m] = await live;
      expect(m).toEqual({ id: String(env.seq), event: 'envelope', data: canonical(env) });
    });

    it('then an envelope sent in another spelling is stored and served in canonical form', async () => {
      const env = n.message('us.envoy', ['ru', 'ua', 'us'], 'spelled otherwise');
      const reversed = Object.fromEntries(Object.entries(env).reverse());
      const spelled = JSON.stringify(reversed, null, 2);
      expect(spelled).not.toBe(canonical(env));
      expect((await post(server.url, n.channel, spelled)).status).toBe(201);
      appended.push(canonical(env));
      expect((await storedLines(server.store, n.channel)).at(-1)).toBe(canonical(env));
    });
  });

  describe('given bad input', () => {
    let n: NegotiationBuilder;
    let storedBefore: number;

    beforeAll(async () => {
      n = NegotiationBuilder.open({ notarySeed: NOTARY_SEED });
      expect((await post(server.url, n.channel, n.log[0])).status).toBe(201);
      n.request('ua.lead', 'ru');
      expect((await post(server.url, n.channel, n.log[1])).status).toBe(201);
      storedBefore = await allStored(server.store);
    });

    afterAll(async () => {
      // Nothing refused was stored: the channel holds exactly the two accepted events.
      expect(await storedLines(server.store, n.channel)).toEqual(n.log.map((e) => canonical(e)));
      expect(await allStored(server.store)).toBe(storedBefore);
    });

    const refusal = (status: number, error: string, extra: Record<string, unknown> = {}) => ({
      status,
      json: { error, message: expect.any(String), ...extra },
    });
    const send = async (body: string | object, channel = n.channel) => {
      const a = await post(server.url, channel, body);
      return { status: a.status, json: a.json };
    };

    it('when the JSON is not strict (duplicate keys, trailing text, floats, not an object, empty, invalid UTF-8) then 400 malformed', async () => {
      const good = JSON.stringify(n.build('ua.lead', 'MessagePosted', { audience: ['ru', 'ua'] }, { text: 'x' }));
      for (const bad of [good.replace('{', '{"seq":2,'), good + ' {}', good + 'x', good.replace(/"seq":\d+/, '"seq":2.0'), '[]', 'null', '{', '']) {
        const a = await send(bad);
        expect({ bad: bad.slice(0, 30), ...a }).toEqual({ bad: bad.slice(0, 30), ...refusal(400, 'malformed') });
        expect(a.json).not.toHaveProperty('seq');
      }
      const res = await fetch(`${server.url}/v1/channels/${n.channel}/events`, { method: 'POST', body: Buffer.from([0x7b, 0xff, 0x7d]) });
      expect({ status: res.status, json: await res.json() }).toEqual(refusal(400, 'malformed'));
    });

    it('when members have wrong types or are unknown or missing then 400 malformed naming them', async () => {
      const env = n.build('ua.lead', 'MessagePosted', { audience: ['ru', 'ua'] }, { text: 'x' });
      const cases: [object, RegExp][] = [
        [{ ...env, seq: String(env.seq) }, /seq/],
        [{ ...env, meta: 'x' }, /meta/],
        [{ ...env, body: 7 }, /body/],
        [{ ...env, extra: true }, /extra should not exist/],
        [{ ...env, sig: undefined }, /sig/],
        [{ ...env, id: 'not-a-uuid' }, /id/], // the rule engine's shape check
      ];
      for (const [bad, message] of cases) {
        const a = await send(bad);
        expect(a).toEqual(refusal(400, 'malformed'));
        expect(a.json.message).toMatch(message);
      }
    });

    it('when a member is named __proto__, prototype or constructor, signed over with it, then 400 malformed and nothing stored', async () => {
      // Such members are what prototype-pollution guards delete in place: the envelope must be
      // checked and stored as received, or a signature over the text would vouch for other bytes.
      const extra = (target: object, name: string) => Object.defineProperty(target, name, { value: 'x', enumerable: true, writable: true, configurable: true });
      const cases: [string, (e: UnsignedEnvelope) => void][] = [];
      for (const name of ['__proto__', 'prototype', 'constructor']) {
        cases.push([`top-level ${name}`, (e) => extra(e, name)]);
        cases.push([`meta.${name}`, (e) => extra(e.meta, name)]);
        cases.push([`body.keys[0].${name}`, (e) => extra(e.body!.keys[0], name)]);
      }
      for (const [where, tweak] of cases) {
        const env = n.build('ua.lead', 'MessagePosted', { audience: ['ru', 'ua'] }, { text: 'x' }, (e) => tweak(e));
        const text = JSON.stringify(env);
        expect(text).toContain('"x"');
        const a = await send(text);
        expect({ where, ...a }).toEqual({ where, ...refusal(400, 'malformed') });
      }
    });

    it('when the path channel is not a uuid then 400 malformed, for POST and signed GETs', async () => {
      expect(await send(n.log[1], 'NOT-A-UUID')).toEqual(refusal(400, 'malformed'));
      for (const route of ['head', 'events', 'stream']) {
        const a = await signedGet(server.url, `/v1/channels/abc/${route}`, n.keys('ua.lead'));
        expect({ route, status: a.status, error: a.json?.error }).toEqual({ route, status: 400, error: 'malformed' });
      }
    });

    it('when the body is larger than the limit then 413 payload_too_large', async () => {
      const big = JSON.stringify({ ...n.log[1], meta: { pad: 'x'.repeat(1024 * 1024) } });
      expect(await send(big)).toEqual(refusal(413, 'payload_too_large'));
      // Sent in chunks without a declared length, too.
      const chunked = new ReadableStream({
        start(c) {
          for (let i = 0; i < 20; i++) c.enqueue(new TextEncoder().encode('x'.repeat(128 * 1024)));
          c.close();
        },
      });
      const res = await fetch(`${server.url}/v1/channels/${n.channel}/events`, { method: 'POST', body: chunked, duplex: 'half' } as RequestInit);
      expect({ status: res.status, json: await res.json() }).toEqual(refusal(413, 'payload_too_large'));
    });

    it('when the chain is stale then 409 with the head to re-sign against', async () => {
      const head = { seq: 2, prev: n.state.head };
      const gap = n.build('ua.lead', 'MessagePosted', { audience: ['ru', 'ua'] }, { text: 'x' }, (e) => (e.seq = 5));
      expect(await send(gap)).toEqual(refusal(409, 'seq_gap', { head }));
      const fork = n.build('ua.lead', 'MessagePosted', { audience: ['ru', 'ua'] }, { text: 'x' }, (e) => (e.prev = '1'.repeat(64)));
      expect(await send(fork)).toEqual(refusal(409, 'prev_mismatch', { head }));
      const reused = n.build('ua.lead', 'MessagePosted', { audience: ['ru', 'ua'] }, { text: 'x' }, (e) => (e.id = n.log[1].id));
      expect(await send(reused)).toEqual(refusal(409, 'duplicate_id', { head }));
      // Same id and seq as a stored event but other content: not a retry.
      const imposter = n.build('ua.lead', 'MessagePosted', { audience: ['ru', 'ua'] }, { text: 'x' }, (e) => {
        e.seq = 1;
        e.prev = eventHash(n.log[0]);
        e.id = n.log[1].id;
      });
      expect((await send(imposter)).status).toBe(409);
    });

    it('when a rule is violated then 422 with the code and the seq', async () => {
      const forged = { ...n.build('ua.lead', 'MessagePosted', { audience: ['ru', 'ua'] }, { text: 'x' }), sig: n.log[1].sig };
      expect(await send(forged)).toEqual(refusal(422, 'bad_signature', { seq: 2 }));
      const stranger = n.build('ua.lead', 'MessagePosted', { audience: ['ru', 'ua'] }, { text: 'x' }, (e) => (e.sender = 'xx.nobody'));
      expect((await send(stranger)).json).toMatchObject({ error: 'unknown_sender', seq: 2 });
      const auditorMessage = n.build('icrc.audit', 'MessagePosted', { audience: ['icrc'] }, { text: 'x' });
      expect(await send(auditorMessage)).toEqual(refusal(422, 'forbidden', { seq: 2 }));
      const wrongChannel = n.build('ua.lead', 'MessagePosted', { audience: ['ru', 'ua'] }, { text: 'x' }, (e) => (e.channel = randomUUID()));
      expect((await send(wrongChannel)).json).toMatchObject({ error: 'wrong_channel', seq: 2 });
    });

    it('when an envelope is dated more than 5 minutes ahead then 422 forbidden', async () => {
      const ahead = n.build('ua.lead', 'MessagePosted', { audience: ['ru', 'ua'] }, { text: 'x' }, (e) => {
        e.at = new Date(Date.now() + 301_000).toISOString();
      });
      const a = await send(ahead);
      expect(a).toEqual(refusal(422, 'forbidden', { seq: 2 }));
      expect(a.json.message).toMatch(/future/);
    });

    it('when a ChannelOpened names another notary key then 422 forbidden', async () => {
      const other = NegotiationBuilder.open({ notarySeed: 'A'.repeat(43) });
      expect(await send(other.log[0], other.channel)).toEqual(refusal(422, 'forbidden', { seq: 0 }));
      expect(await storedLines(server.store, other.channel)).toEqual([]);
    });

    it('when a ChannelOpened names another notary key and is broken as well, then 422 forbidden for the key: the server checks its own terms before any signature or proof', async () => {
      const other = NegotiationBuilder.open({ notarySeed: 'A'.repeat(43) });
      const broken = { ...other.log[0], sig: other.log[0].sig.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')) };
      const a = await send(broken, other.channel);
      expect(a).toEqual(refusal(422, 'forbidden', { seq: 0 }));
      expect(a.json.message).toMatch(/notary/);
      expect(await storedLines(server.store, other.channel)).toEqual([]);
    });

    it('when reads get a bad query or Last-Event-ID then 400 malformed', async () => {
      // One reason each, the one that applies: the form before the range.
      const reasons: [string, string][] = [
        ['from=-1', 'from must be a non-negative integer'],
        ['from=1.5', 'from must be a non-negative integer'],
        ['from=1&from=2', 'from must be a non-negative integer'],
        ['from=', 'from must be a non-negative integer'],
        ['limit=0', 'limit must not be less than 1'],
        ['limit=abc', 'limit must be a positive integer'],
        ['other=1', 'property other should not exist'],
      ];
      for (const [q, reason] of reasons) {
        const a = await signedGet(server.url, `/v1/channels/${n.channel}/events?${q}`, n.keys('ua.lead'));
        expect({ q, status: a.status, body: a.json }).toEqual({ q, status: 400, body: { error: 'malformed', message: `invalid request: ${reason}` } });
      }
      const a = await signedGet(server.url, `/v1/channels/${n.channel}/stream`, n.keys('ua.lead'), { headers: { 'last-event-id': 'x' } });
      expect(a.status).toBe(400);
      // A seq past the channel's last one (seen on a server since restored, say): said, not a silent stream.
      const last = n.log.length - 1;
      const ahead = await signedGet(server.url, `/v1/channels/${n.channel}/stream`, n.keys('ua.lead'), { headers: { 'last-event-id': String(last + 1) } });
      expect({ status: ahead.status, body: ahead.json }).toEqual({
        status: 400,
        body: { error: 'malformed', message: `Last-Event-ID ${last + 1} is past the channel's last event, seq ${last}: this server does not hold what you saw` },
      });
    });

    it('when a route that takes no query is given one then 400 malformed naming it, and nothing is stored', async () => {
      const said = { status: 400, body: { error: 'malformed', message: 'invalid request: property form should not exist' } };
      const reads: [string, Keys][] = [
        [`/v1/channels/${n.channel}/head?form=5`, n.keys('ua.lead')],
        [`/v1/channels/${n.channel}/stream?form=5`, n.keys('ua.lead')],
        [`/v1/channels/${n.channel}/state?form=5`, n.keys('ua.lead')],
        [`/v1/channels/${n.channel}/audit?form=5`, n.keys('ua.lead')],
        ['/v1/reunifications?form=5', n.keys('ua.lead')],
        ['/v1/export?form=5', globalAuditor],
      ];
      for (const [target, keys] of reads) {
        const a = await signedGet(server.url, target, keys);
        expect({ target, status: a.status, body: a.json }).toEqual({ target, ...said });
      }
      const notary = await fetch(`${server.url}/v1/notary?form=5`);
      expect({ status: notary.status, body: await notary.json() }).toEqual(said);
      // The signature is checked first, as for the routes with a query DTO: unsigned, 401.
      expect((await fetch(`${server.url}/v1/channels/${n.channel}/head?form=5`)).status).toBe(401);
      const before = await storedLines(server.store, n.channel);
      const env = n.build('ua.lead', 'MessagePosted', { audience: ['ru', 'ua'] }, { text: 'x' });
      const res = await fetch(`${server.url}/v1/channels/${n.channel}/events?form=5`, { method: 'POST', body: JSON.stringify(env), headers: { 'content-type': 'application/json' } });
      expect({ status: res.status, body: await res.json() }).toEqual(said);
      expect(await storedLines(server.store, n.channel)).toEqual(before);
    });

    it('when a route does not exist then 404 not_found', async () => {
      const res = await fetch(`${server.url}/v1/nothing`);
      expect({ status: res.status, json: await res.json() }).toEqual(refusal(404, 'not_found'));
    });
  });

  describe('given signed reads', () => {
    let n: NegotiationBuilder;
    let other: NegotiationBuilder;
    let target: string;

    beforeAll(async () => {
      n = NegotiationBuilder.open({ notarySeed: NOTARY_SEED });
      other = NegotiationBuilder.open({ notarySeed: NOTARY_SEED });
      for (const b of [n, other]) expect((await post(server.url, b.channel, b.log[0])).status).toBe(201);
      const revoke = n.revoke('ua.lead', 'ua.lead', 'ua.lead2');
      expect((await post(server.url, n.channel, revoke)).status).toBe(201);
      target = `/v1/channels/${n.channel}/head`;
    });

    const unauthorized = (message: RegExp) => ({ status: 401, json: { error: 'unauthorized', message: expect.stringMatching(message) } });
    const get = async (...args: Parameters<typeof signedGet>) => {
      const a = await signedGet(...args);
      return { status: a.status, json: a.json };
    };

    it('when unsigned then 401', async () => {
      const res = await fetch(server.url + target);
      expect({ status: res.status, json: await res.json() }).toEqual(unauthorized(/Signature/));
    });

    it('when stale or too far ahead then 401', async () => {
      // Margins of 30 s: on a loaded machine a request may reach the server seconds after `now`.
      const now = Math.floor(Date.now() / 1000);
      expect(await get(server.url, target, n.keys('ru.lead'), { created: now - 330 })).toEqual(unauthorized(/created/));
      expect(await get(server.url, target, n.keys('ru.lead'), { created: now + 330 })).toEqual(unauthorized(/created/));
      expect((await get(server.url, target, n.keys('ru.lead'), { created: now - 270 })).status).toBe(200);
    });

    it('when replayed then 401, also at another server instance sharing the store', async () => {
      const nonce = randomUUID();
      expect((await get(server.url, target, n.keys('ru.lead'), { nonce })).status).toBe(200);
      expect(await get(server.url, target, n.keys('ru.lead'), { nonce })).toEqual(unauthorized(/nonce/));
      const second = await startServer({ ...location.env, PARLEY_NOTARY_SEED: NOTARY_SEED }, { withoutNotaryAutomation: true });
      try {
        expect(await get(second.url, target, n.keys('ru.lead'), { nonce })).toEqual(unauthorized(/nonce/));
      } finally {
        await second.close();
      }
    });

    it('when the signature is forged, covers too little or names another algorithm then 401', async () => {
      const forge = (h: Record<string, string>) => (h.signature = h.signature.replace(/:(.)/, (_m, c) => `:${c === 'A' ? 'B' : 'A'}`));
      expect(await get(server.url, target, n.keys('ru.lead'), { tamper: forge })).toEqual(unauthorized(/unknown keyid or a signature that does not verify/));
      const noQuery = (h: Record<string, string>) => (h['signature-input'] = h['signature-input'].replace(' "@query"', ''));
      expect((await get(server.url, target, n.keys('ru.lead'), { tamper: noQuery })).status).toBe(401);
      const rsa = (h: Record<string, string>) => (h['signature-input'] = h['signature-input'].replace('alg="ed25519"', 'alg="rsa-pss-sha512"'));
      expect(await get(server.url, target, n.keys('ru.lead'), { tamper: rsa })).toEqual(unauthorized(/alg/));
      // Signed for one path, sent to another.
      const moved = await fetch(`${server.url}/v1/channels/${n.channel}/events`, {
        headers: signRequestHeaders(target, n.keys('ru.lead')),
      });
      expect(moved.status).toBe(401);
    });

    it('when the key is unknown then 401; known but revoked, of another channel, or for a channel that does not exist then 404', async () => {
      expect(await get(server.url, target, generateIdentity())).toEqual(unauthorized(/unknown keyid or a signature that does not verify/));
      const notFound = { status: 404, json: { error: 'not_found', message: expect.any(String) } };
      expect(await get(server.url, target, n.keys('ua.lead'))).toEqual(notFound); // revoked by rotation
      expect(await get(server.url, `/v1/channels/${other.channel}/head`, n.keys('ru.lead'))).toEqual(notFound);
      expect(await get(server.url, `/v1/channels/${randomUUID()}/head`, n.keys('ru.lead'))).toEqual(notFound);
      expect(await get(server.url, `/v1/channels/${randomUUID()}/head`, globalAuditor)).toEqual(notFound);
      expect((await get(server.url, target, n.keys('ua.lead2'))).status).toBe(200);
      expect((await get(server.url, target, globalAuditor)).status).toBe(200);
    });

    /** Headers of a GET signed as `keys` over `components`, with extra parameters (expires, tag) after Parley's. */
    const signedOver = (target: string, keys: Keys, components: string[], extra: { expires?: number; tag?: string } = {}) => {
      const params = serializeSignatureInput(components, {
        created: Math.floor(Date.now() / 1000),
        nonce: randomUUID(),
        keyid: fingerprint(keys),
        alg: 'ed25519',
        tag: extra.tag ?? 'parley',
      });
      const input = extra.expires === undefined ? params : `${params};expires=${extra.expires}`;
      const base = signatureBase({ method: 'GET', target, authority: new URL(server.url).host, scheme: 'http' }, components, input);
      const sig = ed25519Signer(b64uDecode(keys.signSeed, 32)!)(Buffer.from(base)).toString('base64');
      return { 'signature-input': `sig1=${input}`, signature: `sig1=:${sig}:` };
    };
    const required = ['@method', '@path', '@query'];
    /** A GET through node:http, which (unlike fetch) sends any Host and a body. */
    const rawGet = (path: string, headers: Record<string, string>, body?: string) =>
      new Promise<{ status: number; json: unknown }>((resolve, reject) => {
        // node:http frames no GET body by itself: the length is given.
        const framed = body === undefined ? headers : { ...headers, 'content-length': String(Buffer.byteLength(body)) };
        const req = httpRequest(server.url + path, { method: 'GET', headers: framed }, (res) => {
          let text = '';
          res.on('data', (d) => (text += d));
          res.on('end', () => resolve({ status: res.statusCode!, json: JSON.parse(text) }));
        });
        req.on('error', reject);
        req.end(body);
      });

    it('when the client also covers @authority, @scheme and @target-uri then 200; sent to another host name then 401', async () => {
      const headers = signedOver(target, n.keys('ru.lead'), [...required, '@authority', '@scheme', '@target-uri']);
      expect((await fetch(server.url + target, { headers })).status).toBe(200);
      const elsewhere = { ...signedOver(target, n.keys('ru.lead'), [...required, '@authority']), host: 'parley.example' };
      expect(await rawGet(target, elsewhere)).toEqual(unauthorized(/does not verify/));
    });

    it("when a proxy's signature comes first then the client's (tagged parley) is the one checked: 200", async () => {
      const ours = signedGetHeaders(target, n.keys('ru.lead'));
      const headers = {
        'signature-input': `proxy=("@method" "@path");created=${Math.floor(Date.now() / 1000)};keyid="proxy-1", ${ours['signature-input']}`,
        signature: `proxy=:${Buffer.alloc(64).toString('base64')}:, ${ours.signature}`,
      };
      expect((await fetch(server.url + target, { headers })).status).toBe(200);
    });

    it('when its expires has passed, or it is tagged for another application, then 401', async () => {
      const now = Math.floor(Date.now() / 1000);
      const expired = await fetch(server.url + target, { headers: signedOver(target, n.keys('ru.lead'), required, { expires: now - 1 }) });
      expect({ status: expired.status, json: await expired.json() }).toEqual(unauthorized(/expired/));
      expect((await fetch(server.url + target, { headers: signedOver(target, n.keys('ru.lead'), required, { expires: now + 60 }) })).status).toBe(200);
      const other = await fetch(server.url + target, { headers: signedOver(target, n.keys('ru.lead'), required, { tag: 'other-app' }) });
      expect({ status: other.status, json: await other.json() }).toEqual(unauthorized(/tag must be "parley"/));
    });

    it('when a signed GET carries a body, with or without a digest, then 400 malformed', async () => {
      const body = '{"a":1}';
      const digests: Record<string, string>[] = [{}, { 'content-digest': `sha-256=:${Buffer.alloc(32).toString('base64')}:` }];
      for (const digest of digests) {
        const headers = { ...signedGetHeaders(target, n.keys('ru.lead')), ...digest, 'content-type': 'application/json' };
        expect(await rawGet(target, headers, body)).toEqual({ status: 400, json: { error: 'malformed', message: `GET /v1/channels/${n.channel}/head takes no body` } });
      }
    });

    it('when the SDK reads with a revoked key then it gets ApiError 404', async () => {
      await expect(client(server.url, n.keys('ua.lead')).head(n.channel)).rejects.toMatchObject({ status: 404, code: 'not_found' } as Partial<ApiError>);
    });
  });
  describe('given a channel of more events than the largest page', () => {
    it('when a limit above it is asked then the page is capped at it, not refused', async () => {
      const long = NegotiationBuilder.open({ notarySeed: NOTARY_SEED });
      while (long.log.length <= MAX_PAGE) long.message('ua.lead', ['ru', 'ua'], 'x');
      // Straight into the store, a thousand at a time: the route under test only reads them.
      for (let i = 0; i < long.log.length; i += 1000) {
        const batch = long.log.slice(i, i + 1000).map((e) => ({ id: e.id, type: e.type, data: JSON.stringify(e) }));
        await server.store.append(channelStream(long.channel), batch, i === 0 ? 'no_stream' : i - 1);
      }
      const a = await signedGet(server.url, `/v1/channels/${long.channel}/events?limit=${2 * MAX_PAGE}`, long.keys('ua.lead'));
      expect(a.status).toBe(200);
      const lines = a.text.split('\n').filter(Boolean);
      expect(lines).toHaveLength(MAX_PAGE);
      expect(lines.at(-1)).toBe(JSON.stringify(long.log[MAX_PAGE - 1]));
      // However many digits: a valid integer is a number, capped (limit) or past the end (from).
      const huge = '9'.repeat(40);
      const capped = await signedGet(server.url, `/v1/channels/${long.channel}/events?limit=${huge}`, long.keys('ua.lead'));
      expect({ status: capped.status, lines: capped.text.split('\n').filter(Boolean).length }).toEqual({ status: 200, lines: MAX_PAGE });
      const past = await signedGet(server.url, `/v1/channels/${long.channel}/events?from=${huge}`, long.keys('ua.lead'));
      expect({ status: past.status, text: past.text }).toEqual({ status: 200, text: '' });
    });
  });
});
