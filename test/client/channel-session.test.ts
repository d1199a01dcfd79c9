/**
 * The SDK's session against a real service process: a stale head is re-read and
 * re-signed, an attempt that was stored although its answer was lost is recognised, and
 * the rules refuse locally before any round trip. Lost answers are real: a loopback proxy
 * cuts the connection after the server has acted.
 */
import { randomUUID } from 'node:crypto';
import {
  AppendOutcomeUnknownError,
  AppendResult,
  ChannelIntegrityError,
  ChannelSession,
  draft,
  Draft,
  ParleyHttpClient,
  RuleViolationError,
} from '../../src/client';
import { Envelope, eventHash, generateIdentity, makeParticipant, Role } from '../../src/protocol';
import { ServerProcess } from '../cli/parley-harness';
import { FaultProxy } from '../support/fault-proxy';

jest.setTimeout(30_000);

/** A client that runs `before` once, just before its first append reaches the server. */
class InterleavingClient extends ParleyHttpClient {
  constructor(options: ConstructorParameters<typeof ParleyHttpClient>[0], private before: (() => Promise<void>) | null) {
    super(options);
  }
  override async append(env: Envelope): Promise<AppendResult> {
    const run = this.before;
    this.before = null;
    if (run) await run();
    return super.append(env);
  }
}

describe('ChannelSession against a running service', () => {
  const server = new ServerProcess();
  const channel = randomUUID();
  const member = (id: string, party: string, role: Role = 'negotiator') => ({ id, party, role, ...generateIdentity() });
  const ua = member('ua.lead', 'ua');
  const ru = member('ru.lead', 'ru');
  const session = (m: typeof ua, before: (() => Promise<void>) | null = null) =>
    new ChannelSession(new InterleavingClient({ server: server.url, keys: m }, before), m, channel);

  let opening: Draft<'ChannelOpened'>;

  /** Runs `body` with ua's session caught up through a fault proxy in front of the server. */
  async function throughProxy(body: (proxy: FaultProxy, s: ChannelSession) => Promise<void>): Promise<void> {
    const proxy = new FaultProxy();
    await proxy.start(server.url);
    try {
      const s = new ChannelSession(new ParleyHttpClient({ server: proxy.url, keys: ua }), ua, channel);
      await s.sync();
      await body(proxy, s);
    } finally {
      await proxy.stop();
    }
  }

  beforeAll(async () => {
    await server.start();
    const { signKey } = await new ParleyHttpClient({ server: server.url }).notary();
    const participants = [ua, ru].map((m) => makeParticipant(channel, m, { id: m.id, party: m.party, role: m.role }));
    opening = draft('ChannelOpened', { parties: [{ id: 'ru', kind: 'side' }, { id: 'ua', kind: 'side' }], participants, notary: { signKey }, policy: { quorum: 'sides', auditorsRead: false } }, { title: 't', mandate: 'm' });
    await session(ua).open(opening);
  });
  afterAll(() => server.stop());

  it('given the channel is open already, when another opening is sent with a fresh session, then invalid_transition says so, not a seq_gap', async () => {
    const err = await session(ru).open(opening).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RuleViolationError);
    expect(err).toMatchObject({ code: 'invalid_transition', message: `channel ${channel} is open already (its log holds 1 event): choose a new channel id` });
  });

  it('given my opening was stored and its answer lost, when I open again with the same terms, then it is recognised as mine; with other terms, refused', async () => {
    const other = randomUUID();
    const { signKey } = await new ParleyHttpClient({ server: server.url }).notary();
    const participants = [ua, ru].map((m) => makeParticipant(other, m, { id: m.id, party: m.party, role: m.role }));
    const meta = { parties: [{ id: 'ru', kind: 'side' as const }, { id: 'ua', kind: 'side' as const }], participants, notary: { signKey }, policy: { quorum: 'sides' as const, auditorsRead: false } };
    const terms = draft('ChannelOpened', meta, { title: 'again', mandate: 'm' });
    const proxy = new FaultProxy();
    await proxy.start(server.url);
    try {
      proxy.cutNextAnswer('POST /v1/channels/');
      // The same session finds out at once, by reading the channel its key is listed in.
      const first = await new ChannelSession(new ParleyHttpClient({ server: proxy.url, keys: ua }), ua, other).open(terms);
      expect({ cut: proxy.cut, status: first.status, seq: first.seq }).toEqual({ cut: 1, status: 200, seq: 0 });
    } finally {
      await proxy.stop();
    }
    // So does a later run of the same command (a new session).
    const again = await new ChannelSession(new ParleyHttpClient({ server: server.url, keys: ua }), ua, other).open(terms);
    expect({ status: again.status, hash: again.hash }).toEqual({ status: 200, hash: (await session(ua).http.head(other)).prev });
    // Other terms are another opening: the channel id is taken.
    const otherTerms = draft('ChannelOpened', { ...meta, policy: { quorum: 'all', auditorsRead: false } }, { title: 'again', mandate: 'm' });
    await expect(new ChannelSession(new ParleyHttpClient({ server: server.url, keys: ua }), ua, other).open(otherTerms)).rejects.toMatchObject({
      constructor: RuleViolationError,
      code: 'invalid_transition',
    });
  });

  it('given another client appends between my read and my append, when I submit, then I re-read, re-sign and land after it', async () => {
    const other = session(ru);
    const mine = session(ua, async () => {
      await other.submit(() => draft('MessagePosted', { audience: ['ru', 'ua'] }, { text: 'first' }));
    });
    const done = await mine.submit(() => draft('MessagePosted', { audience: ['ru', 'ua'] }, { text: 'second' }));
    expect(done.attempts).toBe(2);
    expect(done.seq).toBe(2);
    await other.sync();
    expect(other.view.entries.slice(1).map((e) => e.content?.text)).toEqual(['first', 'second']);
  });

  it('given my append was stored, its answer lost and then a rival moved the head, when I submit, then my stored event is recognised, not doubled', async () => {
    await throughProxy(async (proxy, s) => {
      proxy.cutNextAnswer('POST /v1/channels/');
      // The client's next request (its re-read) waits until a rival has appended.
      proxy.rivalBefore('GET /v1/channels/', async () => {
        await session(ru).submit(() => draft('MessagePosted', { audience: ['ru', 'ua'] }, { text: 'rival' }));
      });
      const done = await s.submit(() => draft('MessagePosted', { audience: ['ru', 'ua'] }, { text: 'once' }));
      expect({ cut: proxy.cut, held: proxy.held }).toEqual({ cut: 1, held: 1 });
      expect(done.status).toBe(200);
      expect(s.view.entries.filter((e) => e.content?.text === 'once')).toHaveLength(1);
      expect(s.view.entries[done.seq].content).toEqual({ text: 'once' });
      expect(s.view.entries[done.seq + 1].content).toEqual({ text: 'rival' });
    });
  });

  it('given the connection drops after the server stored my append, when I submit, then the next attempt finds it stored, not doubled', async () => {
    await throughProxy(async (proxy, s) => {
      proxy.cutNextAnswer('POST /v1/channels/');
      const done = await s.submit(() => draft('MessagePosted', { audience: ['ru', 'ua'] }, { text: 'through a cut' }));
      expect(proxy.cut).toBe(1);
      expect(done.status).toBe(200);
      const reader = session(ru);
      await reader.sync();
      expect(reader.view.entries.filter((e) => e.content?.text === 'through a cut')).toHaveLength(1);
    });
  });

  it.each([500, 502, 504])('given a %i for an append the server stored, when I submit, then the next attempt finds it stored, not doubled', async (status) => {
    await throughProxy(async (proxy, s) => {
      proxy.replaceNextAnswer('POST /v1/channels/', status);
      const text = `behind a ${status}`;
      const done = await s.submit(() => draft('MessagePosted', { audience: ['ru', 'ua'] }, { text }));
      expect(proxy.replaced).toBe(1);
      expect(done.status).toBe(200);
      const reader = session(ru);
      await reader.sync();
      expect(reader.view.entries.filter((e) => e.content?.text === text)).toHaveLength(1);
    });
  });

  it.each([
    [404, { error: 'not_found', message: 'no such channel' }],
    [401, { error: 'unauthorized', message: 'no' }],
  ])('given a 504 for an append the server stored and then a %i for the read that would tell, when I submit, then its outcome is unknown, not refused', async (status, json) => {
    await throughProxy(async (proxy, s) => {
      proxy.replaceNextAnswer('POST /v1/channels/', 504);
      proxy.replaceNextAnswer('GET /v1/channels/', status, json);
      const err = await s.submit(() => draft('MessagePosted', { audience: ['ru', 'ua'] }, { text: `504 then ${status}` })).catch((e: unknown) => e);
      expect(proxy.replaced).toBe(2);
      expect(err).toBeInstanceOf(AppendOutcomeUnknownError);
      expect((err as Error).message).toMatch(new RegExp(`${status}.*may have been stored`));
    });
  });

  it('given 5xx answers to the reads after an append the server stored, when I submit, then they are passed over and the event is found stored', async () => {
    await throughProxy(async (proxy, s) => {
      proxy.replaceNextAnswer('POST /v1/channels/', 504);
      proxy.replaceNextAnswer('GET /v1/channels/', 502);
      proxy.replaceNextAnswer('GET /v1/channels/', 500);
      const done = await s.submit(() => draft('MessagePosted', { audience: ['ru', 'ua'] }, { text: 'behind 502 and 500' }));
      expect(proxy.replaced).toBe(3);
      expect(done.status).toBe(200);
    });
  });

  it('given the objects of my draft changed after I submit, or holding members of their prototype, then my view is of the bytes sent, as every reader\'s', async () => {
    const s = session(ua);
    await s.sync();
    const meta = { audience: ['ru', 'ua'] };
    const sent = await s.submit(() => draft('MessagePosted', meta, { text: 'as sent' }));
    meta.audience.push('zz');
    expect(sent.envelope.meta).toEqual({ audience: ['ru', 'ua'] });
    expect(s.view.entries[sent.seq].envelope.meta).toEqual({ audience: ['ru', 'ua'] });
    // A member only on the prototype is not in the signed text: neither is it in the view.
    const request = randomUUID();
    await s.submit(() => draft('ReunificationRequested', { request, category: 'minor', holder: 'ru' }, { person: {}, family: {}, notes: '' }));
    const [first, second] = [randomUUID(), randomUUID()];
    await s.submit(() => draft('ProposalSubmitted', { proposal: first, requests: [request] }, { terms: 't', handover: {} }));
    const inherited = Object.assign(Object.create({ supersedes: first }) as object, { proposal: second, requests: [request] });
    const revised = await s.submit(() => draft('ProposalSubmitted', inherited as { proposal: string; requests: string[] }, { terms: 't2', handover: {} }));
    expect(revised.envelope.meta).toEqual({ proposal: second, requests: [request] });
    expect(s.view.state.proposals.get(first)!.status).toBe('pending');
    const reader = session(ru);
    await reader.sync();
    expect(reader.view.state.proposals.get(first)!.status).toBe('pending');
  });

  it('given a server that answers my append with another seq and hash, when I submit, then I am told the envelope\'s own', async () => {
    await throughProxy(async (proxy, s) => {
      proxy.replaceNextAnswer('POST /v1/channels/', 201, { seq: 4242, hash: 'f'.repeat(64), position: 'p' });
      const done = await s.submit(() => draft('MessagePosted', { audience: ['ru', 'ua'] }, { text: 'whatever it says' }));
      expect(proxy.replaced).toBe(1);
      expect({ seq: done.seq, hash: done.hash }).toEqual({ seq: done.envelope.seq, hash: eventHash(done.envelope) });
      expect(done.seq).not.toBe(4242);
    });
  });

  it('given the server is gone after an append went out, when I submit, then the error names the event id that may be stored', async () => {
    const proxy = new FaultProxy();
    await proxy.start(server.url);
    const s = new ChannelSession(new ParleyHttpClient({ server: proxy.url, keys: ua }), ua, channel);
    await s.sync();
    proxy.cutNextAnswer('POST /v1/channels/');
    const outcome = s.submit(() => draft('MessagePosted', { audience: ['ru', 'ua'] }, { text: 'unknown fate' }), { attempts: 2, retryForMs: 0 });
    // Once the first answer is cut, the proxy goes away: the next read cannot be made.
    while (proxy.cut === 0) await new Promise((r) => setTimeout(r, 5));
    await proxy.stop();
    const err = await outcome.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppendOutcomeUnknownError);
    expect((err as AppendOutcomeUnknownError).message).toMatch(/may have been stored/);
    const reader = session(ru);
    await reader.sync();
    const stored = reader.view.entries.find((e) => e.content?.text === 'unknown fate');
    expect((err as AppendOutcomeUnknownError).envelopeId).toBe(stored!.envelope.id);
  });

  it('given the answer to my append is lost and the server is away for seconds (a restart), when I submit, then the session waits for it and finds its event, stored once', async () => {
    const proxy = new FaultProxy();
    await proxy.start(server.url);
    try {
      const s = new ChannelSession(new ParleyHttpClient({ server: proxy.url, keys: ua }), ua, channel);
      await s.sync();
      proxy.cutNextAnswer('POST /v1/channels/');
      const outcome = s.submit(() => draft('MessagePosted', { audience: ['ru', 'ua'] }, { text: 'across a restart' }));
      while (proxy.cut === 0) await new Promise((r) => setTimeout(r, 5));
      await proxy.down(); // connections refused: five quick attempts would all fail
      await new Promise((r) => setTimeout(r, 3000));
      await proxy.up();
      const done = await outcome;
      expect(done.status).toBe(200); // found stored, not sent again
      const reader = session(ru);
      await reader.sync();
      expect(reader.view.entries.filter((e) => e.content?.text === 'across a restart').map((e) => e.envelope.id)).toEqual([done.envelope.id]);
    } finally {
      await proxy.stop();
    }
  });

  it('given the server acknowledged my append and then lost it (a rollback, a restore), when I submit again, then ChannelIntegrityError at once, not retries ending in "nothing was stored"', async () => {
    await throughProxy(async (proxy, s) => {
      // The server's 201 for an event it never kept: as after a restore from a backup older than the answer.
      const seq = s.state.nextSeq;
      proxy.fakeNextAnswer('POST /v1/channels/', 201, { seq, hash: '0'.repeat(64), position: '1' });
      const acknowledged = await s.submit(() => draft('MessagePosted', { audience: ['ru', 'ua'] }, { text: 'acknowledged, then lost' }));
      expect({ seq: acknowledged.seq, faked: proxy.faked }).toEqual({ seq, faked: 1 });
      const started = Date.now();
      const err = await s.submit(() => draft('MessagePosted', { audience: ['ru', 'ua'] }, { text: 'after it' })).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ChannelIntegrityError);
      expect(err).toMatchObject({ code: 'seq_gap', seq });
      expect((err as Error).message).toContain(`ends before seq ${seq}, while this session holds events up to seq ${seq}, verified or acknowledged`);
      expect(Date.now() - started).toBeLessThan(10_000); // one refusal, not 30 s of retries
    });
  });

  it('given the server acknowledged my append, lost it, and then took another at that seq (a fork as long as my view), when I submit again, then ChannelIntegrityError prev_mismatch at once', async () => {
    await throughProxy(async (proxy, s) => {
      const seq = s.state.nextSeq;
      proxy.fakeNextAnswer('POST /v1/channels/', 201, { seq, hash: '0'.repeat(64), position: '1' });
      await s.submit(() => draft('MessagePosted', { audience: ['ru', 'ua'] }, { text: 'acknowledged, then lost' }));
      await session(ru).submit(() => draft('MessagePosted', { audience: ['ru', 'ua'] }, { text: 'stored at the lost seq' }));
      const started = Date.now();
      const err = await s.submit(() => draft('MessagePosted', { audience: ['ru', 'ua'] }, { text: 'after it' })).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ChannelIntegrityError);
      expect(err).toMatchObject({ code: 'prev_mismatch', seq });
      expect((err as Error).message).toContain(`holds another event at seq ${seq} than the one this session holds`);
      expect(Date.now() - started).toBeLessThan(10_000);
    });
  });

  it('given a session following the channel, when another appends, then it yields each event verified, decrypted and in its view, asked from after its head', async () => {
    const proxy = new FaultProxy();
    await proxy.start(server.url);
    const follower = new ChannelSession(new ParleyHttpClient({ server: proxy.url, keys: ru }), ru, channel);
    await follower.sync();
    const from = follower.state.nextSeq;
    const abort = new AbortController();
    const got: { seq: number; readability: string; content: unknown }[] = [];
    const following = (async () => {
      for await (const entry of follower.follow({ signal: abort.signal })) {
        got.push({ seq: entry.seq, readability: entry.readability, content: entry.content });
        if (got.length === 2) abort.abort();
      }
    })();
    const writer = session(ua);
    // Whatever happens, the stream ends with the test (it reconnects until aborted).
    const stop = setTimeout(() => abort.abort(), 20_000);
    for (const text of ['live one', 'live two']) await writer.submit(() => draft('MessagePosted', { audience: ['ru', 'ua'] }, { text }));
    await following.finally(() => clearTimeout(stop));
    await proxy.stop();
    // One stream, resumed after the view's last event: not the whole log again.
    const streams = proxy.requests.filter((r) => r.startsWith(`GET /v1/channels/${channel}/stream `));
    expect(streams).toEqual([expect.stringMatching(new RegExp(`\r\nlast-event-id: ${from - 1}\r\n`, 'i'))]);
    expect(got).toEqual([
      { seq: from, readability: 'opened', content: { text: 'live one' } },
      { seq: from + 1, readability: 'opened', content: { text: 'live two' } },
    ]);
    expect(follower.state.nextSeq).toBe(from + 2);
  });

  it('given a session that follows and submits, when the stream brings my event before the append is answered, then the submit succeeds with it, applied once', async () => {
    // The append's answer comes 300 ms after the server stored it: the stream is faster.
    class SlowAnswers extends ParleyHttpClient {
      override async append(env: Envelope): Promise<AppendResult> {
        const answer = await super.append(env);
        await new Promise((r) => setTimeout(r, 300));
        return answer;
      }
    }
    const s = new ChannelSession(new SlowAnswers({ server: server.url, keys: ru }), ru, channel);
    await s.sync();
    const abort = new AbortController();
    const streamed: number[] = [];
    const following = (async () => {
      for await (const entry of s.follow({ signal: abort.signal })) streamed.push(entry.seq);
    })();
    await new Promise((r) => setTimeout(r, 300)); // the stream is open
    const done = await s.submit(() => draft('MessagePosted', { audience: ['ru', 'ua'] }, { text: 'mine, answered late' })).finally(() => abort.abort());
    await following;
    expect(streamed).toEqual([done.seq]);
    expect({ status: done.status, held: s.view.entries.length }).toEqual({ status: 201, held: done.seq + 1 });
  });

  it('given a server that no longer holds the last event my view verified (400 to Last-Event-ID), when I follow, then ChannelIntegrityError seq_gap with the 400 as its cause', async () => {
    await throughProxy(async (proxy, s) => {
      const said = "Last-Event-ID 9 is past the channel's last event, seq 3: this server does not hold what you saw";
      proxy.replaceNextAnswer(`GET /v1/channels/${channel}/stream`, 400, { error: 'malformed', message: said });
      const err = await (async () => {
        for await (const _ of s.follow()) throw new Error('no event was expected');
      })().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ChannelIntegrityError);
      expect(err).toMatchObject({ code: 'seq_gap', seq: s.state.nextSeq - 1, cause: expect.objectContaining({ status: 400 }) });
    });
  });

  it('given an event the rules refuse, when I submit, then RuleViolationError before anything is sent', async () => {
    const s = session(ua, async () => {
      throw new Error('must not be sent');
    });
    await expect(s.submit(() => draft('ReunificationCompleted', { request: randomUUID() }, null))).rejects.toMatchObject({
      constructor: RuleViolationError,
      code: 'unknown_request',
    });
  });
});
