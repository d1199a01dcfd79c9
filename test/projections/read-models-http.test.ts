/**
 * The read model routes over real HTTP on 127.0.0.1, called with our SDK as a vector
 * participant signing its requests: GET /v1/requests, /v1/reunifications and
 * /v1/channels/{channel}/state, on a SQLite store fed through the append route.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QueryBus } from '@nestjs/cqrs';
import { ApiError } from '../../src/client/errors';
import { FindKeyMembershipsQuery } from '../../src/projections/queries/find-key-memberships.query';
import { ParleyHttpClient } from '../../src/client/http-client';
import { Envelope, eventHash, generateIdentity } from '../../src/protocol';
import { reference } from '../support/vectors';
import { startServer as startApp, type TestServer as ParleyApp } from '../service/service-harness';
import { appendAll, RecordedNegotiation, vectorLog } from './projection-test-kit';

const VALID = reference.validLog;

describe('read model routes', () => {
  const vectors = reference.loadEnvelopeVectors();
  const expected = reference.loadLogExpectations().find((e) => e.file === VALID)!;
  const lines = vectorLog(VALID);
  const channel = (JSON.parse(lines[0]) as Envelope).channel;
  const dir = mkdtempSync(join(tmpdir(), 'parley-read-models-'));
  let server: ParleyApp;
  let ruLead: ParleyHttpClient;
  let other: RecordedNegotiation;

  beforeAll(async () => {
    // The vectors' channel names the vectors' notary key: this server holds it.
    server = await startApp({ PARLEY_DATA_DIR: dir, PARLEY_NOTARY_SEED: vectors.identities.notary.signSeed });
    const anonymous = new ParleyHttpClient({ server: server.url });
    ruLead = new ParleyHttpClient({ server: server.url, keys: vectors.identities['ru.lead'] });
    // A second channel, without ru.lead of the vectors: a proposal accepted by both sides
    // through the append route, which this server's notary then agrees on its own.
    other = RecordedNegotiation.start(vectors.identities.notary.signKey);
    const proposal = other.propose([other.request()]);
    other.accept(proposal, 'ua.lead');
    other.accept(proposal, 'ru.lead');
    for (const env of other.log) await anonymous.append(env);

    // The vector log goes to the store directly: through the append route this server's
    // notary would agree its proposal first, and the log's own TransferAgreed would conflict.
    for (const line of lines) {
      const env = JSON.parse(line) as Envelope;
      await appendAll(server.store, [line]);
      // Read-your-writes: the state right after the append already shows it.
      if (env.seq >= 1 && env.seq % 6 === 0) {
        const state = (await ruLead.state(channel)) as { head: { seq: number; prev: string } };
        expect(state.head).toEqual({ seq: env.seq + 1, prev: eventHash(env) });
      }
    }
  });
  afterAll(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const ids = (r: { items: Record<string, unknown>[] }) => r.items.map((i) => i.request as string).sort();

  it('GET /v1/requests answers the open requests of the caller’s channels only, each with its request id', async () => {
    const open = await ruLead.requests();
    expect(ids(open)).toEqual([...expected.open!].sort());
    expect(open.items.every((i) => i.channel === channel)).toBe(true);
    expect(ids(await ruLead.requests('withdrawn'))).toEqual([...expected.withdrawn!].sort());
    expect(ids(await ruLead.requests('reunited'))).toEqual([...expected.reunited!].sort());
  });

  it('GET /v1/reunifications answers the completed ones with their released/received/completed events', async () => {
    const done = await ruLead.reunifications();
    expect(ids(done)).toEqual([...expected.reunited!].sort());
    for (const item of done.items) {
      expect(item).toMatchObject({ channel, released: { hash: expect.any(String) }, completed: { sender: expect.any(String) } });
    }
  });

  it('GET /v1/channels/{channel}/state answers the agreement state; another channel is 404 for this key', async () => {
    const state = (await ruLead.state(channel)) as Record<string, any>;
    expect(state.head).toEqual({ seq: expected.events, prev: expected.head });
    expect(state.transfers.map((t: { proposal: string }) => t.proposal)).toEqual(expected.agreed);
    expect(state.participants.find((p: { id: string }) => p.id === 'ru.lead').fingerprint).toBe(vectors.identities['ru.lead'].fingerprint);
    await expect(ruLead.state(other.channel)).rejects.toMatchObject({ status: 404, code: 'not_found' });
  });

  it('shows the agreement the notary made when the second side accepted', async () => {
    const ua = new ParleyHttpClient({ server: server.url, keys: other.members.get('ua.lead')!.identity });
    const deadline = Date.now() + 5000;
    let state = (await ua.state(other.channel)) as Record<string, any>;
    while (state.transfers.length === 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
      state = (await ua.state(other.channel)) as Record<string, any>;
    }
    expect(state.transfers).toHaveLength(1);
    expect(state.transfers[0].agreed.sender).toBe('notary');
    const [request] = (await ua.requests('agreed')).items;
    expect(request).toMatchObject({ channel: other.channel, status: 'agreed', transfer: state.transfers[0].proposal });
  });

  it('answers FindKeyMembershipsQuery on the query bus, and reports the projection lag on /metrics', async () => {
    const lead = vectors.identities['ru.lead'];
    const memberships = await server.app.get(QueryBus).execute(new FindKeyMembershipsQuery(lead.fingerprint));
    expect(memberships).toEqual([{ fingerprint: lead.fingerprint, channel, participant: 'ru.lead', active: expect.any(Boolean), signKey: lead.signKey }]);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/^parley_projection_lag_events\{projection="read_models"\} 0$/m);
  });

  it('documents the routes in OpenAPI with the properties the real answers have', async () => {
    const doc = (await (await fetch(`${server.url}/docs-json`)).json()) as { paths: Record<string, any>; components: { schemas: Record<string, any> } };
    for (const path of ['/v1/requests', '/v1/reunifications', '/v1/channels/{channel}/state']) {
      expect(Object.keys(doc.paths[path].get.responses)).toEqual(expect.arrayContaining(['200', '401']));
    }
    const props = (name: string) => Object.keys(doc.components.schemas[name].properties).sort();
    const keys = (value: object) => Object.keys(value).sort();
    const request = (await ruLead.requests('reunited')).items[0];
    const done = (await ruLead.reunifications()).items[0];
    const state = (await ruLead.state(channel)) as Record<string, any>;
    expect(props('RequestItemDto')).toEqual(keys(request));
    expect(props('EventRefDto')).toEqual(keys(request.requested as object));
    expect(props('ReunificationItemDto')).toEqual(keys(done));
    expect(props('ChannelStateDto')).toEqual(keys(state));
    expect(props('ParticipantViewDto')).toEqual(keys(state.participants[0]));
    expect(props('ProposalViewDto')).toEqual(keys(state.proposals[0]));
    expect(props('TransferViewDto')).toEqual(keys(state.transfers[0]));
    expect(props('ChannelRequestDto')).toEqual(keys(state.requests[0]));
  });

  it('refuses an unknown status (400 malformed) and an unknown key (401)', async () => {
    await expect(ruLead.requests('lost')).rejects.toMatchObject({ status: 400, code: 'malformed' });
    const stranger = new ParleyHttpClient({ server: server.url, keys: generateIdentity() });
    const refusal = await stranger.requests().catch((e: unknown) => e);
    expect(refusal).toBeInstanceOf(ApiError);
    expect(refusal).toMatchObject({ status: 401, code: 'unauthorized' });
  });
});
