/**
 * Two server processes on one PostgreSQL schema, racing on the same channel: every round
 * several clients post competing envelopes for the same seq to both processes at once.
 * Exactly one wins each round, the losers get 409 with the head, and the stored log is one
 * chain that verifies (no fork) and that both processes serve identically.
 */
import { canonical, eventHash, verifyLog, type Envelope } from '../../src/protocol';
import { NegotiationBuilder, newNotarySeed } from '../support/negotiation-builder';
import { newStoreLocation, spawnServer, type SpawnedServer, type StoreLocation } from './service-harness';
import { client, collectSse, post, signedGet } from './service-test-kit';

jest.setTimeout(90_000);

const ROUNDS = 12;
const SENDERS = ['ua.lead', 'ru.lead', 'us.envoy', 'ua.lead'];

describe('two server processes on one PostgreSQL', () => {
  const notarySeed = newNotarySeed();
  let location: StoreLocation;
  let servers: SpawnedServer[] = [];

  beforeAll(async () => {
    location = newStoreLocation('postgres');
    const env = { ...location.env, PARLEY_NOTARY_SEED: notarySeed, LOG_LEVEL: 'warn' };
    servers = await Promise.all([spawnServer(env), spawnServer(env)]);
  });

  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    await location?.remove();
  });

  it('given competing appends for the same seq on both, then one wins each round and the log never forks', async () => {
    const n = NegotiationBuilder.open({ notarySeed });
    expect((await post(servers[0].url, n.channel, n.log[0])).status).toBe(201);

    for (let round = 0; round < ROUNDS; round++) {
      const candidates = SENDERS.map((sender, i) => n.build(sender, 'MessagePosted', { audience: ['ru', 'ua', 'us'] }, { text: `round ${round} #${i}` }));
      const answers = await Promise.all(candidates.map((env, i) => post(servers[i % 2].url, n.channel, env)));
      const won = answers.flatMap((a, i) => (a.status === 201 ? [i] : []));
      expect({ round, winners: won.length }).toEqual({ round, winners: 1 });
      const winner = candidates[won[0]];
      n.apply(winner);
      for (const a of answers.filter((x) => x.status !== 201)) {
        expect(a.status).toBe(409);
        expect(a.json.error).toBe('seq_gap');
        // The head a loser gets is at least the winner's: it re-signs from there.
        expect(a.json.head.seq).toBe(winner.seq + 1);
        expect(a.json.head.prev).toBe(eventHash(winner));
      }
    }

    const logs = await Promise.all(servers.map((s) => signedGet(s.url, `/v1/channels/${n.channel}/events`, n.keys('ru.lead'))));
    expect(logs.map((l) => l.status)).toEqual([200, 200]);
    expect(logs[0].text).toBe(logs[1].text);
    const lines = logs[0].text.split('\n').filter(Boolean);
    expect(lines).toEqual(n.log.map((e: Envelope) => canonical(e)));
    const report = verifyLog(logs[0].text);
    expect(report.ok).toBe(true);
    const heads = await Promise.all(servers.map((s) => signedGet(s.url, `/v1/channels/${n.channel}/head`, n.keys('us.envoy'))));
    expect(heads.map((h) => h.json)).toEqual([{ seq: ROUNDS + 1, prev: n.state.head }, { seq: ROUNDS + 1, prev: n.state.head }]);
  });

  it('given an envelope stored through one process, when its retry reaches the other (whose state is behind), then 200 with the stored result and nothing new', async () => {
    const n = NegotiationBuilder.open({ notarySeed });
    expect((await post(servers[0].url, n.channel, n.log[0])).status).toBe(201);
    // servers[1] learns the channel up to seq 1; the next event it does not see appended.
    expect((await post(servers[1].url, n.channel, n.message('ua.lead', ['ru', 'ua'], 'one'))).status).toBe(201);
    const two = n.message('ru.lead', ['ru', 'ua'], 'two');
    const first = await post(servers[0].url, n.channel, two);
    expect(first.status).toBe(201);

    const retry = await post(servers[1].url, n.channel, two);
    expect({ status: retry.status, json: retry.json }).toEqual({ status: 200, json: first.json });
    const log = await signedGet(servers[1].url, `/v1/channels/${n.channel}/events`, n.keys('ru.lead'));
    expect(log.text.split('\n').filter(Boolean)).toEqual(n.log.map((e: Envelope) => canonical(e)));
  });

  it('given a live SSE reader on one process, when another process appends, then the reader gets the event', async () => {
    const n = NegotiationBuilder.open({ notarySeed });
    expect((await post(servers[0].url, n.channel, n.log[0])).status).toBe(201);
    const live = collectSse(client(servers[1].url, n.keys('ru.lead')), n.channel, 1, { lastEventId: '0', timeoutMs: 10_000 });
    await new Promise((r) => setTimeout(r, 300)); // the reader waits at the head
    const env = n.message('ua.lead', ['ru', 'ua'], 'from the other process');
    expect((await post(servers[0].url, n.channel, env)).status).toBe(201);
    expect(await live).toEqual([{ id: '1', event: 'envelope', data: canonical(env) }]);
  });

  it('given a signed request used at one process, then the other refuses its replay', async () => {
    const n = NegotiationBuilder.open({ notarySeed });
    expect((await post(servers[1].url, n.channel, n.log[0])).status).toBe(201);
    const nonce = `replay-${n.channel}`;
    const target = `/v1/channels/${n.channel}/head`;
    expect((await signedGet(servers[0].url, target, n.keys('ua.lead'), { nonce })).status).toBe(200);
    const replay = await signedGet(servers[1].url, target, n.keys('ua.lead'), { nonce });
    expect({ status: replay.status, error: replay.json.error }).toEqual({ status: 401, error: 'unauthorized' });
  });
});
