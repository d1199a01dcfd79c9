/**
 * Every 422 code of DESIGN.md 1.5 steps 7–8 but `forbidden` (channels.test.ts has it), provoked over
 * real HTTP on 127.0.0.1 through POST /v1/channels/{channel}/events, against SQLite and
 * PostgreSQL. Each envelope is correctly chained and signed and changes one thing from a
 * valid next event, so the violation the server names is the first in 1.5's order (the
 * decider is asked first, on the same state, to prove it). Each answer is
 * `422 { error, message, seq }` (Part 3), and nothing is stored: head and log unchanged.
 *
 * The channels are built with test/support's NegotiationBuilder, not src/protocol's
 * NegotiationFixture: the server refuses a ChannelOpened naming a notary key other than its
 * own, and the fixture's notary seed is private to it.
 */
import { randomUUID } from 'node:crypto';
import { canonical, check, generateIdentity, makeParticipant, NOTARY, sealBody, type Envelope, type MetaByType } from '../../src/protocol';
import { NegotiationBuilder, newNotarySeed } from '../support/negotiation-builder';
import { newStoreLocation, startServer, type StoreKind, type StoreLocation, type TestServer } from './service-harness';
import { allStored, post, signedGet, storedLines } from './service-test-kit';

jest.setTimeout(30_000);

const NOTARY_SEED = newNotarySeed();

/**
 * The channel every case starts from (its head never moves): opened (quorum sides), ua.two
 * admitted to ua, a request by ua held by ru, a proposal by us.envoy naming it, accepted by
 * both sides — so the next valid events include the notary's TransferAgreed.
 */
function negotiation(): { n: NegotiationBuilder; proposal: string } {
  const n = NegotiationBuilder.open({ notarySeed: NOTARY_SEED });
  n.admit('ua.lead', { id: 'ua.two', party: 'ua', role: 'negotiator' });
  const request = n.request('ua.lead', 'ru').meta.request;
  const proposal = n.propose('us.envoy', [request]).meta.proposal;
  n.accept('ua.lead', proposal);
  n.accept('ru.lead', proposal);
  return { n, proposal };
}

type Case = [code: string, how: string, build: (n: NegotiationBuilder, proposal: string) => Envelope];

const agreementMeta = (n: NegotiationBuilder, proposal: string): MetaByType['TransferAgreed'] => {
  const p = n.state.proposals.get(proposal)!;
  return { proposal, proposalHash: p.submitted.hash, acceptances: Object.values(p.acceptances).map((a) => a.hash).sort() };
};

const sealedTo = (n: NegotiationBuilder, ids: string[]) =>
  sealBody({ text: 'x' }, [...ids].sort().map((id) => ({ id, boxKey: n.members.get(id)!.record.boxKey })));

const CASES: Case[] = [
  ['body_required', 'a MessagePosted without a body', (n) => n.build('ua.lead', 'MessagePosted', { audience: ['ru', 'ua'] }, null)],
  [
    'body_forbidden',
    "the notary's TransferAgreed, otherwise valid, with a body",
    (n, p) => n.build(NOTARY, 'TransferAgreed', agreementMeta(n, p), null, (e) => (e.body = sealedTo(n, ['ru.lead', 'ua.lead']))),
  ],
  [
    'recipients_mismatch',
    'a MessagePosted to ru and ua also sealed to the auditor (auditorsRead false)',
    (n) =>
      n.build('ua.lead', 'MessagePosted', { audience: ['ru', 'ua'] }, null, (e) => (e.body = sealedTo(n, ['icrc.audit', 'ru.lead', 'ua.lead', 'ua.two']))),
  ],
  ['unknown_party', 'a MessagePosted whose audience names a party that does not exist', (n) => n.build('ua.lead', 'MessagePosted', { audience: ['ua', 'zz'] }, { text: 'x' })],
  [
    'unknown_request',
    'a RequestInformationShared about a request that does not exist',
    (n) => n.build('ua.lead', 'RequestInformationShared', { request: randomUUID(), kind: 'health' }, { text: 'x' }),
  ],
  [
    'invalid_transition',
    'a ReunificationCompleted of a request that is only proposed (not yet agreed, released or received)',
    (n, p) => n.build('ua.lead', 'ReunificationCompleted', { request: n.state.proposals.get(p)!.requests[0] }, null),
  ],
  [
    'unknown_proposal',
    'a ProposalAccepted of a proposal that does not exist',
    (n, p) => n.build('ua.lead', 'ProposalAccepted', { proposal: randomUUID(), proposalHash: n.proposalHash(p) }, null),
  ],
  [
    'proposal_hash_mismatch',
    'a ProposalRejected naming another hash',
    (n, p) => n.build('ru.lead', 'ProposalRejected', { proposal: p, proposalHash: 'b'.repeat(64) }, null),
  ],
  [
    'duplicate_acceptance',
    'a second acceptance by ua, through ua.two',
    (n, p) => n.build('ua.two', 'ProposalAccepted', { proposal: p, proposalHash: n.proposalHash(p) }, null),
  ],
  [
    'duplicate_participant',
    'a ParticipantAdmitted reusing the id ua.two (fresh keys, valid proof)',
    (n) =>
      n.build('ua.lead', 'ParticipantAdmitted', { participant: makeParticipant(n.channel, generateIdentity(), { id: 'ua.two', party: 'ua', role: 'observer' }) }, null),
  ],
  [
    'bad_proof',
    "a ParticipantAdmitted whose proof was made for another channel",
    (n) =>
      n.build('ua.lead', 'ParticipantAdmitted', { participant: makeParticipant(randomUUID(), generateIdentity(), { id: 'ua.three', party: 'ua', role: 'observer' }) }, null),
  ],
  [
    'quorum_not_met',
    "the notary's TransferAgreed leaving ru's acceptance out",
    (n, p) => {
      const meta = agreementMeta(n, p);
      const ua = n.state.proposals.get(p)!.acceptances.ua.hash;
      return n.build(NOTARY, 'TransferAgreed', { ...meta, acceptances: [ua] }, null);
    },
  ],
];

describe.each(['sqlite', 'postgres'] as StoreKind[])('violation codes over HTTP on %s', (kind) => {
  let location: StoreLocation;
  let server: TestServer;
  let n: NegotiationBuilder;
  let proposal: string;
  let storedBefore: number;

  const head = async () => (await signedGet(server.url, `/v1/channels/${n.channel}/head`, n.keys('ru.lead'))).json;

  beforeAll(async () => {
    location = newStoreLocation(kind);
    // The notary's automation would append its own TransferAgreed once both sides accepted.
    server = await startServer({ ...location.env, PARLEY_NOTARY_SEED: NOTARY_SEED }, { withoutNotaryAutomation: true });
    ({ n, proposal } = negotiation());
    for (const env of n.log) expect((await post(server.url, n.channel, env)).status).toBe(201);
    storedBefore = await allStored(server.store);
  });

  afterAll(async () => {
    await server?.close();
    await location?.remove();
  });

  it('given the negotiation, then the server holds exactly its log', async () => {
    expect(await head()).toEqual({ seq: n.state.nextSeq, prev: n.state.head });
    expect(await storedLines(server.store, n.channel)).toEqual(n.log.map((e) => canonical(e)));
  });

  it.each(CASES)('when %s (%s), then 422 with the code and the seq, and nothing is stored', async (code, _how, build) => {
    const env = build(n, proposal);
    // The decider on the same state names this code first, so nothing earlier in 1.5 fails.
    expect(check(n.state, env, { channel: n.channel }).map((v) => v.code)).toEqual([code]);
    const before = await head();

    const answer = await post(server.url, n.channel, env);

    expect({ status: answer.status, json: answer.json }).toEqual({
      status: 422,
      json: { error: code, message: expect.any(String), seq: n.state.nextSeq },
    });
    expect(await head()).toEqual(before);
    expect(before).toEqual({ seq: n.state.nextSeq, prev: n.state.head });
    expect(await storedLines(server.store, n.channel)).toEqual(n.log.map((e) => canonical(e)));
    expect(await allStored(server.store)).toBe(storedBefore);
  });

  it('then the TransferAgreed that body_forbidden and quorum_not_met altered, sent as it should be, is accepted', async () => {
    const agreed = n.build(NOTARY, 'TransferAgreed', agreementMeta(n, proposal), null);
    expect(check(n.state, agreed, { channel: n.channel })).toEqual([]);
    const answer = await post(server.url, n.channel, agreed);
    expect(answer.status).toBe(201);
    expect(answer.json).toMatchObject({ seq: n.state.nextSeq });
  });
});
