/**
 * Crash under load: a real `node dist/src/main.js` takes concurrent appends from several SDK
 * clients and is killed with SIGKILL mid-stream, again and again (3 times here, 20 in the
 * soak). After every restart: each event the server acknowledged is there byte for byte at
 * its seq, the auditor's core passes over the exported global log, and the read models equal
 * a rebuild from position 0.
 */
import { randomUUID } from 'node:crypto';
import { ChannelSession, ServerUnreachableError } from '../../src/client';
import { newNotarySeed } from '../support/negotiation-builder';
import { canonical } from '../../src/protocol';
import { freePort, newStoreLocation, spawnServer, type SpawnedServer, type StoreLocation } from '../service/service-harness';
import {
  audit,
  exportLog,
  globalAuditor,
  messageDraft,
  negotiators,
  param,
  readModelsAndRebuild,
  report,
  sleep,
  storeKinds,
  TestChannel,
} from './reliability-kit';

const KILLS = param('KILLS', 3, 20);
const CHANNELS = param('CRASH_CHANNELS', 3, 6);
const LOAD_MS = param('CRASH_LOAD_MS', 700, 2000);

jest.setTimeout(60_000 + KILLS * 30_000);

interface Acked {
  channel: TestChannel;
  seq: number;
  text: string;
}

/** One client appending until told to stop; what the server acknowledged goes to `acked`. */
async function appendUntil(stop: () => boolean, channel: TestChannel, session: ChannelSession, acked: Acked[], unexpected: unknown[]): Promise<void> {
  for (let i = 0; !stop(); i++) {
    const asks = session.member.id.startsWith('ua.') && i % 4 === 0;
    const request = randomUUID();
    const make = asks
      ? () => ({
          type: 'ReunificationRequested' as const,
          meta: { request, category: 'minor' as const, holder: 'ru' },
          content: { person: { fullName: 'test person' }, family: {}, notes: '' },
        })
      : messageDraft(`${session.member.id} #${i}`);
    try {
      const done = await session.submit(make, { attempts: 30 });
      acked.push({ channel, seq: done.seq, text: canonical(done.envelope) });
    } catch (err) {
      // The server is down (or went down mid-answer): the SDK says so with
      // ServerUnreachableError (AppendOutcomeUnknownError among them); the client waits and
      // tries again. Anything else is a finding.
      if (err instanceof ServerUnreachableError) {
        await sleep(20);
        continue;
      }
      unexpected.push(err);
      return;
    }
  }
}

describe.each(storeKinds(['sqlite', 'postgres']))('crash under load on %s', (kind) => {
  const notarySeed = newNotarySeed();
  const auditor = globalAuditor();
  let location: StoreLocation;
  let env: Record<string, string>;
  let server: SpawnedServer;

  beforeAll(async () => {
    location = newStoreLocation(kind);
    env = { ...location.env, ...auditor.env, PARLEY_NOTARY_SEED: notarySeed, PORT: String(await freePort()), LOG_LEVEL: 'warn' };
    server = await spawnServer(env);
  });

  afterAll(async () => {
    if (server) await server.stop();
    await location?.remove();
  });

  it(`given SIGKILL ${KILLS} times under concurrent appends, then after each restart no acknowledged event is lost, the log audits clean and the read models equal a rebuild`, async () => {
    const channels: TestChannel[] = [];
    for (let i = 0; i < CHANNELS; i++) channels.push(await TestChannel.open(server.url, notarySeed, negotiators(1)));
    const acked: Acked[] = channels.map((c) => ({ channel: c, seq: 0, text: canonical(c.n.log[0]) }));
    const unexpected: unknown[] = [];
    const clients = channels.flatMap((c) => c.writers.map((w) => ({ channel: c, session: c.session(w) })));

    for (let kill = 1; kill <= KILLS; kill++) {
      let stopped = false;
      const load = clients.map(({ channel, session }) => appendUntil(() => stopped, channel, session, acked, unexpected));
      const atStart = acked.length;
      await sleep(LOAD_MS * (0.5 + Math.random()));
      // Killed while appends are under way: some of this round's were acknowledged, others are in flight.
      while (acked.length === atStart && unexpected.length === 0) await sleep(10);
      const exited = new Promise((r) => server.child.once('exit', r));
      server.child.kill('SIGKILL');
      await exited;
      // The clients keep retrying while the server is down and restarts: an append whose
      // answer the kill cut off is resolved against the new server (stored once, or sent again).
      server = await spawnServer(env);
      stopped = true;
      await Promise.all(load);
      expect(unexpected).toEqual([]);

      for (const channel of channels) {
        const lines: string[] = [];
        for await (const { raw } of channel.http(channel.writers[0]).events(channel.id)) lines.push(raw.toString('utf8'));
        const mine = acked.filter((a) => a.channel === channel);
        const missing = mine.filter((a) => lines[a.seq] !== a.text);
        expect({ kill, channel: channel.id, missing: missing.length }).toEqual({ kill, channel: channel.id, missing: 0 });
      }
      const log = await exportLog(server.url, auditor.identity);
      const verdict = await audit(log);
      expect({ kill, ok: verdict.ok, violations: verdict.violations, channels: verdict.channels.length }).toEqual({
        kill,
        ok: true,
        violations: [],
        channels: channels.length,
      });
      const { live, rebuilt, events } = await readModelsAndRebuild(location);
      expect(events).toBe(log.length);
      expect(live.parley_rm_channels).toHaveLength(channels.length);
      expect(rebuilt).toEqual(live);
    }
    report(`crash-${kind}`, { kills: KILLS, acknowledged: acked.length, clients: clients.length });
  });
});
