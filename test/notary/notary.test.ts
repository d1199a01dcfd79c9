/**
 * The notary saga in real service instances: two Nest apps on one PostgreSQL schema racing
 * to agree the same proposal, and the start-up sweep after a crash between the last
 * acceptance and the TransferAgreed. The store is read back to count TransferAgreed events;
 * one case runs the whole path over HTTP (POST to one instance, GET from the other).
 */
import { Logger } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppendEventCommand } from '../../src/channels/commands/append-event.command';
import { AgreeTransferCommand, type AgreementOutcome } from '../../src/notary/agree-transfer.command';
import { notaryKeyFromSeed } from '../../src/notary/notary-key.provider';
import { NotarySweepService } from '../../src/notary/notary-sweep.service';
import { b64uDecode, b64uEncode, canonical, ed25519KeyPair, Envelope, evolve, verifyLog } from '../../src/protocol';
import { channelStream, type EventStore } from '../../src/store/event-store.port';
import { startServer as startApp, type TestServer as ParleyApp } from '../service/service-harness';
import { post, signedGet } from '../service/service-test-kit';
import { POSTGRES_URL, testSchema } from '../store/store-test-kit';
import { appendAll, RecordedNegotiation } from '../projections/projection-test-kit';

const seed = b64uEncode(ed25519KeyPair().secretKey);
const notary = notaryKeyFromSeed(b64uDecode(seed, 32)!);

async function channelLog(store: EventStore, channel: string): Promise<Envelope[]> {
  return (await store.readStream(channelStream(channel))).map((e) => JSON.parse(e.data) as Envelope);
}

/** A channel naming this notary, with a proposal accepted by one side so far. */
function negotiationAwaitingOneAcceptance() {
  const f = RecordedNegotiation.start(notary.signKey);
  const proposal = f.propose([f.request(), f.request()]);
  f.accept(proposal, 'ua.lead');
  const last = f.build('ru.lead', 'ProposalAccepted', { proposal, proposalHash: f.proposalHash(proposal) }, null);
  return { f, proposal, last };
}

/** Asks one instance's notary to agree `proposal` twice: the outcomes, and the errors it logged naming the channel (a thing said once is said once). */
async function agreeTwice(app: ParleyApp, channel: string, proposal: string): Promise<{ outcomes: AgreementOutcome[]; said: string[] }> {
  const told = jest.spyOn(Logger.prototype, 'error');
  try {
    const bus = app.app.get(CommandBus);
    const outcomes: AgreementOutcome[] = [];
    for (let i = 0; i < 2; i++) outcomes.push(await bus.execute(new AgreeTransferCommand(channel, proposal)));
    return { outcomes, said: told.mock.calls.map(([m]) => String(m)).filter((m) => m.includes(channel)) };
  } finally {
    told.mockRestore();
  }
}

async function waitFor<T>(probe: () => Promise<T | undefined>, ms = 5000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const found = await probe();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('notary on one PostgreSQL store shared by two service instances', () => {
  const schema = testSchema();
  const dirs: string[] = [];
  let apps: ParleyApp[] = [];

  const env = () => {
    const dir = mkdtempSync(join(tmpdir(), 'parley-notary-app-'));
    dirs.push(dir);
    return { PARLEY_DATA_DIR: dir, PARLEY_STORE: 'postgres', PARLEY_POSTGRES_URL: POSTGRES_URL, PARLEY_POSTGRES_SCHEMA: schema.name, PARLEY_NOTARY_SEED: seed };
  };

  beforeAll(async () => {
    apps = [await startApp(env()), await startApp(env())];
  });
  afterAll(async () => {
    for (const app of apps) await app.close();
    await schema.drop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('appends exactly one TransferAgreed when both instances and retries race on the same quorum', async () => {
    const { f, proposal, last } = negotiationAwaitingOneAcceptance();
    await appendAll(apps[0].store, f.lines());
    const [busA, busB] = apps.map((a) => a.app.get(CommandBus));

    // The acceptance through instance A fires A's saga; B and both again race it directly.
    const outcomes = await Promise.all([
      busA.execute(new AppendEventCommand(f.channel, JSON.parse(JSON.stringify(last)))),
      busB.execute(new AgreeTransferCommand(f.channel, proposal)),
      busA.execute(new AgreeTransferCommand(f.channel, proposal)),
      busB.execute(new AgreeTransferCommand(f.channel, proposal)),
    ]);
    const agreed = await waitFor(async () => {
      const log = await channelLog(apps[1].store, f.channel);
      return log.some((e) => e.type === 'TransferAgreed') ? log : undefined;
    });
    // Let A's saga finish too, then count.
    expect(await apps[0].app.get(CommandBus).execute(new AgreeTransferCommand(f.channel, proposal))).toBe('not_due');
    const log = await channelLog(apps[0].store, f.channel);
    const agreements = log.filter((e) => e.type === 'TransferAgreed');
    expect(agreements).toHaveLength(1);
    expect(agreements[0]).toMatchObject({ sender: 'notary', meta: { proposal } });
    expect(log.length).toBe(agreed.length);
    expect(outcomes.slice(1).filter((o) => o === 'appended').length).toBeLessThanOrEqual(1);
    // The whole channel verifies offline, the notary's signature included.
    const verdict = verifyLog(log.map((e) => JSON.stringify(e)).join('\n'));
    expect(verdict.violations).toEqual([]);
    expect(verdict.ok).toBe(true);
  });

  it('given the last acceptance already stored when this instance appends it (a batch whose commit acknowledgement was lost, retried alone), then it answers created false and its notary agrees at once, not at the next sweep', async () => {
    const { f, last } = negotiationAwaitingOneAcceptance();
    const bus = apps[0].app.get(CommandBus);
    for (const line of f.lines()) expect(await bus.execute(new AppendEventCommand(f.channel, JSON.parse(line)))).toMatchObject({ created: true });
    // Stored as this instance would store it, but past its state: the store now answers the append by its id.
    await appendAll(apps[0].store, [canonical(last)]);
    expect(await bus.execute(new AppendEventCommand(f.channel, JSON.parse(canonical(last))))).toMatchObject({ created: false, seq: last.seq });
    const agreements = await waitFor(async () => {
      const found = (await channelLog(apps[0].store, f.channel)).filter((e) => e.type === 'TransferAgreed');
      return found.length ? found : undefined;
    });
    expect(agreements).toHaveLength(1);
  });

  it("given the negotiation posted over HTTP to one instance, then the other serves the server's own TransferAgreed over HTTP", async () => {
    const { f, proposal, last } = negotiationAwaitingOneAcceptance();
    for (const line of [...f.lines(), JSON.stringify(last)]) expect((await post(apps[0].url, f.channel, line)).status).toBe(201);
    const reader = f.members.get('ru.lead')!.identity;
    const lines = await waitFor(async () => {
      const res = await signedGet(apps[1].url, `/v1/channels/${f.channel}/events`, reader);
      const served = res.text.split('\n').filter(Boolean);
      return served.some((l) => (JSON.parse(l) as Envelope).type === 'TransferAgreed') ? served : undefined;
    });
    const agreements = lines.map((l) => JSON.parse(l) as Envelope).filter((e) => e.type === 'TransferAgreed');
    expect(agreements).toEqual([expect.objectContaining({ sender: 'notary', meta: expect.objectContaining({ proposal }) })]);
    expect(verifyLog(lines.join('\n')).violations).toEqual([]);
  });

  it('when the quorum is already stored, racing instances and retries still store one TransferAgreed', async () => {
    const { f, proposal, last } = negotiationAwaitingOneAcceptance();
    await appendAll(apps[0].store, [...f.lines(), JSON.stringify(last)]); // no saga saw it
    const buses = apps.slice(0, 2).map((a) => a.app.get(CommandBus));
    const outcomes = await Promise.all(
      [0, 1, 0, 1, 0, 1].map((i) => buses[i].execute(new AgreeTransferCommand(f.channel, proposal))),
    );
    const agreements = (await channelLog(apps[1].store, f.channel)).filter((e) => e.type === 'TransferAgreed');
    expect(agreements).toHaveLength(1);
    // Losers were refused (the head had moved) and found the proposal agreed on re-reading.
    expect(outcomes).toContain('appended');
    expect(outcomes.every((o) => o === 'appended' || o === 'not_due')).toBe(true);
    expect(outcomes).toContain('not_due');
  });

  it('given an acceptance written into the store past the service, its signature forged, then the notary signs nothing on it', async () => {
    const { f, proposal, last } = negotiationAwaitingOneAcceptance();
    const forged = { ...last, sig: last.sig.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')) };
    await appendAll(apps[0].store, [...f.lines(), JSON.stringify(forged)]);
    const outcome = await apps[0].app.get(CommandBus).execute(new AgreeTransferCommand(f.channel, proposal));
    expect(outcome).toBe('refused');
    expect((await channelLog(apps[0].store, f.channel)).some((e) => e.type === 'TransferAgreed')).toBe(false);
  });

  it('given an admission written into the store past the service, its signature forged, then the notary counts no acceptance by the key it admits, and says why once', async () => {
    const f = RecordedNegotiation.start(notary.signKey);
    const proposal = f.propose([f.request()]);
    f.accept(proposal, 'ua.lead');
    // "ru.lead admits ru.evil", signed by nobody ru.lead knows of; ru.evil then accepts with its own, valid key.
    const admission = f.build('ru.lead', 'ParticipantAdmitted', { participant: f.participant('ru.evil', 'ru', 'negotiator') }, { note: 'x' });
    const forged = { ...admission, sig: admission.sig.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')) };
    evolve(f.state, forged);
    f.log.push(forged);
    f.accept(proposal, 'ru.evil');
    await appendAll(apps[0].store, f.lines());
    const { outcomes, said } = await agreeTwice(apps[0], f.channel, proposal);
    expect(outcomes).toEqual(['refused', 'refused']);
    expect(said).toEqual([expect.stringMatching(new RegExp(`seq ${forged.seq} is refused \\(bad_signature: .*No TransferAgreed is signed in this channel`))]);
    expect((await channelLog(apps[0].store, f.channel)).some((e) => e.type === 'TransferAgreed')).toBe(false);
  });

  it('given a quorum in a channel naming another notary key (a restore without notary.key), then nothing is signed and the operator is told, once', async () => {
    const other = notaryKeyFromSeed(b64uDecode(b64uEncode(ed25519KeyPair().secretKey), 32)!);
    const f = RecordedNegotiation.start(other.signKey);
    const proposal = f.propose([f.request()]);
    f.accept(proposal, 'ua.lead');
    f.accept(proposal, 'ru.lead');
    await appendAll(apps[0].store, f.lines());
    const { outcomes, said } = await agreeTwice(apps[0], f.channel, proposal);
    expect(outcomes).toEqual(['not_due', 'not_due']);
    expect(said).toEqual([expect.stringMatching(/names notary key .*not this server's.*restore notary\.key/)]);
    expect((await channelLog(apps[0].store, f.channel)).some((e) => e.type === 'TransferAgreed')).toBe(false);
  });

  it('the start-up sweep agrees a quorum reached while no instance saw it (crash before the saga ran)', async () => {
    const { f, proposal, last } = negotiationAwaitingOneAcceptance();
    // Written straight to the store: no EventAppended, no saga.
    await appendAll(apps[0].store, [...f.lines(), JSON.stringify(last)]);
    expect((await channelLog(apps[0].store, f.channel)).some((e) => e.type === 'TransferAgreed')).toBe(false);

    const restarted = await startApp(env());
    apps.push(restarted);
    const outcomes = await restarted.app.get(NotarySweepService).done;
    expect(outcomes).toContain('appended');
    const agreements = (await channelLog(restarted.store, f.channel)).filter((e) => e.type === 'TransferAgreed');
    expect(agreements.map((e) => e.meta)).toEqual([expect.objectContaining({ proposal })]);
  });
});
