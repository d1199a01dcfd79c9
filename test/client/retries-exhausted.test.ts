/**
 * The SDK's bounded retries against a real service process: a rival really appends before
 * each of my appends reaches the server (a loopback proxy holds mine while the rival's goes
 * straight in), so every attempt meets a moved head (409), and the session gives up with
 * RetriesExhaustedError once the attempts and the time allowed are both spent, having stored
 * nothing of mine.
 */
import { randomUUID } from 'node:crypto';
import { ApiError, ChannelSession, draft, ParleyHttpClient, RetriesExhaustedError } from '../../src/client';
import { CHAIN_CONFLICT_CODES, generateIdentity, makeParticipant, Role } from '../../src/protocol';
import { ServerProcess } from '../cli/parley-harness';
import { FaultProxy } from '../support/fault-proxy';

jest.setTimeout(30_000);

describe('ChannelSession.submit when the head keeps moving', () => {
  const server = new ServerProcess();
  const proxy = new FaultProxy();
  const channel = randomUUID();
  const member = (id: string, party: string, role: Role = 'negotiator') => ({ id, party, role, ...generateIdentity() });
  const ua = member('ua.lead', 'ua');
  const ru = member('ru.lead', 'ru');
  const message = (text: string) => () => draft('MessagePosted', { audience: ['ru', 'ua'] }, { text });
  let rival: ChannelSession;
  let rivals = 0;

  beforeAll(async () => {
    await server.start();
    await proxy.start(server.url);
    const { signKey } = await new ParleyHttpClient({ server: server.url }).notary();
    const participants = [ua, ru].map((m) => makeParticipant(channel, m, { id: m.id, party: m.party, role: m.role }));
    await new ChannelSession(new ParleyHttpClient({ server: server.url, keys: ua }), ua, channel).open(
      draft('ChannelOpened', { parties: [{ id: 'ru', kind: 'side' }, { id: 'ua', kind: 'side' }], participants, notary: { signKey }, policy: { quorum: 'sides', auditorsRead: false } }, { title: 't', mandate: 'm' }),
    );
    // The rival writes straight to the server, not through the proxy.
    rival = new ChannelSession(new ParleyHttpClient({ server: server.url, keys: ru }), ru, channel);
  });
  afterAll(async () => {
    await proxy.stop();
    await server.stop();
  });

  /** My session, through the proxy; before each of my next `times` appends, the rival appends. */
  const beaten = (times: number) => {
    const held = proxy.held;
    proxy.rivalBefore('POST /v1/channels/', async () => void (await rival.submit(message(`rival ${++rivals}`))), times);
    return { mine: new ChannelSession(new ParleyHttpClient({ server: proxy.url, keys: ua }), ua, channel), beatenAppends: () => proxy.held - held };
  };

  const mineStored = async (text: string) => {
    await rival.sync();
    return rival.view.entries.filter((e) => e.content?.text === text).length;
  };

  it.each([
    ['given attempts: 3 and no time to retry for', { attempts: 3, retryForMs: 0 }, 3],
    ['given the default count and no time to retry for', { retryForMs: 0 }, 5],
  ])('%s and a rival ahead of every attempt, then RetriesExhaustedError after exactly that many appends, nothing of mine stored', async (_name, options, attempts) => {
    const before = rivals;
    const { mine, beatenAppends } = beaten(attempts + 1); // one more than allowed: the giving up is the session's
    const text = `mine, ${attempts} attempts`;
    const err = await mine.submit(message(text), options).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RetriesExhaustedError);
    expect((err as Error).message).toMatch(new RegExp(`gave up after ${attempts} attempts .*Nothing was stored: it is safe to try again$`));
    const last = (err as RetriesExhaustedError).last;
    expect(last).toBeInstanceOf(ApiError);
    expect(last.status).toBe(409);
    expect(CHAIN_CONFLICT_CODES).toContain(last.code);
    expect(beatenAppends()).toBe(attempts); // every attempt went out, and was beaten
    expect(rivals - before).toBe(attempts);
    expect(await mineStored(text)).toBe(0);
    proxy.disarm(); // the spare
  });

  it.each([
    ['a rival ahead of more attempts than the count, then the session goes on trying for the time given, and lands', 8, { attempts: 3, retryForMs: 20_000 }],
    ['the rival stops one attempt short of the limit, then the last attempt lands', 2, { attempts: 3, retryForMs: 0 }],
  ])('given %s', async (_name, rivalFirst, options) => {
    const { mine, beatenAppends } = beaten(rivalFirst);
    const text = `mine, after ${rivalFirst} beaten`;
    const done = await mine.submit(message(text), options);
    expect(done.attempts).toBe(rivalFirst + 1);
    expect(beatenAppends()).toBe(rivalFirst);
    expect(await mineStored(text)).toBe(1);
  });
});
