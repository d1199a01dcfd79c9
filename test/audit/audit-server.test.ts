/**
 * The auditor against a real server (the AppModule on 127.0.0.1, SQLite in a tmp dir):
 * GET /v1/channels/{channel}/audit, and `parley audit --server` for one channel (paged) and
 * for every channel (GET /v1/export, a global auditor). A forged event written straight
 * into the store, past the server's own checks, must be found: nothing is trusted.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { auditReportOf } from '../../src/audit/audit-report';
import { auditStream } from '../../src/audit/audit-stream';
import { serverLog } from '../../src/audit/server-log';
import { writeKeystore } from '../../src/client/keystore-file';
import { canonical, eventHash, generateIdentity, Identity, randomBytes, sha256Hex } from '../../src/protocol';
import { channelStream } from '../../src/store/event-store.port';
import { NegotiationBuilder, newNotarySeed } from '../support/negotiation-builder';
import { newStoreLocation, startServer, type StoreLocation, type TestServer } from '../service/service-harness';
import { post, signedGet } from '../service/service-test-kit';
import { parley } from './audit-fixtures';

jest.setTimeout(60_000);

const dir = mkdtempSync(join(tmpdir(), 'parley-audit-server-'));
const notarySeed = newNotarySeed();
const globalAuditor = generateIdentity();
const stranger = generateIdentity();
let location: StoreLocation;
let server: TestServer;
let clean: NegotiationBuilder;
let forgedChannel: NegotiationBuilder;
let strayChannel: NegotiationBuilder;
let lyingChannel: NegotiationBuilder;

function negotiation(): NegotiationBuilder {
  const n = NegotiationBuilder.open({ notarySeed, policy: { quorum: 'sides', auditorsRead: true } });
  const request = n.request('ua.lead', 'ru').meta.request;
  const proposal = n.propose('us.envoy', [request]).meta.proposal;
  n.accept('ua.lead', proposal);
  n.accept('ru.lead', proposal);
  n.agree(proposal);
  n.message('ru.lead', ['ru', 'ua'], 'agreed');
  return n;
}

async function postAll(n: NegotiationBuilder): Promise<void> {
  for (const env of n.log) expect((await post(server.url, n.channel, env)).status).toBe(201);
}

function keystoreFor(name: string, id: string, identity: Identity): string {
  const path = join(dir, name);
  writeKeystore(path, { id, party: 'icrc', role: 'auditor', signSeed: identity.signSeed, boxSecret: identity.boxSecret, channels: [] }, 'pass phrase', {
    overwrite: false,
  });
  return path;
}

beforeAll(async () => {
  process.env.PARLEY_KEYSTORE_SCRYPT_N = '1024';
  location = newStoreLocation('sqlite');
  server = await startServer(
    { ...location.env, PARLEY_NOTARY_SEED: notarySeed, PARLEY_AUDITORS: `${globalAuditor.signKey}:${globalAuditor.boxKey}` },
    { withoutNotaryAutomation: true },
  );
  clean = negotiation();
  forgedChannel = negotiation();
  strayChannel = negotiation();
  await postAll(clean);
  await postAll(forgedChannel);
  await postAll(strayChannel);
  // Accepted by the server, which cannot open bodies: a message whose commit does not match
  // its box, so that only a reader who opens it (the channel's auditor) can tell.
  lyingChannel = negotiation();
  lyingChannel.apply(
    lyingChannel.build('ru.lead', 'MessagePosted', { audience: ['ru', 'ua'] }, { text: 'one thing' }, (e) => {
      e.body!.commit = sha256Hex('parley/v1/commit\n', randomBytes(32), canonical({ text: 'another thing' }));
    }),
  );
  await postAll(lyingChannel);
  // Past the server's checks, straight into its store: a message whose signature is not ru.lead's.
  const env = forgedChannel.build('ru.lead', 'MessagePosted', { audience: ['ru'] }, { text: 'forged' });
  const forged = { ...env, sig: forgedChannel.build('ua.lead', 'MessagePosted', { audience: ['ru'] }, { text: 'x' }).sig };
  await server.store.append(channelStream(forgedChannel.channel), [{ id: forged.id, type: forged.type, data: JSON.stringify(forged) }], env.seq - 1);
  // Also past the checks: a genuine event of the clean channel, stored in another channel's stream.
  const stray = clean.log[1];
  await server.store.append(channelStream(strayChannel.channel), [{ id: stray.id, type: stray.type, data: JSON.stringify(stray) }], strayChannel.log.length - 1);
});

afterAll(async () => {
  await server?.close();
  await location?.remove();
  rmSync(dir, { recursive: true, force: true });
});

const auditor = (n: NegotiationBuilder) => n.members.get('icrc.audit')!.identity;

describe('GET /v1/channels/{channel}/audit', () => {
  it('given a clean channel and a participant\'s signature, then ok with the events and the last hash', async () => {
    const res = await signedGet(server.url, `/v1/channels/${clean.channel}/audit`, auditor(clean));
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ ok: true, events: clean.log.length, head: eventHash(clean.log.at(-1)!), violations: [] });
  });

  it('given an event in the store that the server would have refused, then the audit reports it', async () => {
    const res = await signedGet(server.url, `/v1/channels/${forgedChannel.channel}/audit`, globalAuditor);
    expect(res.status).toBe(200);
    expect(res.json).toEqual({
      ok: false,
      events: forgedChannel.log.length + 1,
      head: eventHash(forgedChannel.log.at(-1)!),
      violations: [{ seq: forgedChannel.log.length, code: 'bad_signature', message: expect.any(String) }],
    });
  });

  it("given another channel's genuine event stored in the channel's stream, then wrong_channel, not a clean audit", async () => {
    const res = await signedGet(server.url, `/v1/channels/${strayChannel.channel}/audit`, globalAuditor);
    expect(res.status).toBe(200);
    expect(res.json).toEqual({
      ok: false,
      events: strayChannel.log.length + 1,
      head: eventHash(strayChannel.log.at(-1)!),
      violations: [{ seq: clean.log[1].seq, code: 'wrong_channel', message: expect.any(String) }],
    });
  });

  it.each([
    ['no signature', 401, async () => fetch(`${server.url}/v1/channels/${clean.channel}/audit`)],
    ['an unknown key', 401, async () => signedGet(server.url, `/v1/channels/${clean.channel}/audit`, stranger)],
    ['a member of another channel', 404, async () => signedGet(server.url, `/v1/channels/${clean.channel}/audit`, auditor(forgedChannel))],
    ['a channel without events', 404, async () => signedGet(server.url, `/v1/channels/${randomUUID()}/audit`, globalAuditor)],
    ['a channel that is not a uuid', 400, async () => signedGet(server.url, '/v1/channels/nope/audit', globalAuditor)],
  ])('given %s, then %i', async (_name, status, call) => {
    expect((await call()).status).toBe(status);
  });
});

describe('parley audit --server', () => {
  const passFile = join(dir, 'pass');
  beforeAll(() => writeFileSync(passFile, 'pass phrase', { mode: 0o600 }));
  const cli = (keystore: string, ...args: string[]) =>
    parley(['audit', '--server', server.url, '--keystore', keystore, '--passphrase-file', passFile, '--json', ...args], {
      env: { PARLEY_KEYSTORE_SCRYPT_N: '1024' },
    });

  it('given --channel and the auditor\'s keystore, then the channel audited as served, its bodies opened', async () => {
    const res = await cli(keystoreFor('member.keystore', 'icrc.audit', auditor(clean)), '--channel', clean.channel);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(JSON.parse(res.stdout)).toEqual({
      ok: true,
      events: clean.log.length,
      channels: [{ channel: clean.channel, events: clean.log.length, head: eventHash(clean.log.at(-1)!) }],
      violations: [],
    });
  });

  it('given --channel and a body whose commit lies, then the auditor opening it finds bad_body, which the server cannot see', async () => {
    const res = await cli(keystoreFor('lying.keystore', 'icrc.audit', auditor(lyingChannel)), '--channel', lyingChannel.channel);
    expect(res.code).toBe(1);
    expect(JSON.parse(res.stdout).violations).toEqual([{ channel: lyingChannel.channel, seq: lyingChannel.log.length - 1, code: 'bad_body', message: expect.any(String) }]);
    const served = await signedGet(server.url, `/v1/channels/${lyingChannel.channel}/audit`, auditor(lyingChannel));
    expect(served.json).toMatchObject({ ok: true, events: lyingChannel.log.length });
  });

  it('given --channel and a stream holding another channel\'s event, then exit 1 with wrong_channel', async () => {
    const res = await cli(keystoreFor('stray.keystore', 'icrc.audit', auditor(strayChannel)), '--channel', strayChannel.channel);
    expect(res.code).toBe(1);
    expect(JSON.parse(res.stdout).violations).toEqual([{ channel: strayChannel.channel, seq: clean.log[1].seq, code: 'wrong_channel', message: expect.any(String) }]);
  });

  it('given --all and a global auditor, then every channel from the export, the forged and the stray event found', async () => {
    const res = await cli(keystoreFor('global.keystore', 'global.audit', globalAuditor), '--all');
    expect(res.code).toBe(1);
    const report = JSON.parse(res.stdout);
    expect(report.channels.map((c: { channel: string }) => c.channel).sort()).toEqual([clean.channel, forgedChannel.channel, strayChannel.channel, lyingChannel.channel].sort());
    // In the export the stray event reads as the clean channel's seq 1 again.
    expect(report.violations).toEqual([
      { channel: forgedChannel.channel, seq: forgedChannel.log.length, code: 'bad_signature', message: expect.any(String) },
      { channel: clean.channel, seq: clean.log[1].seq, code: 'seq_gap', message: expect.any(String) },
    ]);
  });

  it('given a key the server does not know, then exit 2 with its refusal', async () => {
    const res = await cli(keystoreFor('stranger.keystore', 'stranger', stranger), '--channel', clean.channel);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/unauthorized|signature/i);
  });

  it('given pages smaller than the channel, then the same report as one read', async () => {
    const keys = auditor(clean);
    const paged = await auditStream(serverLog(server.url, keys, { channel: clean.channel }, { pageSize: 2 }), { workers: 1 });
    const whole = await auditStream(serverLog(server.url, keys, { channel: clean.channel }), { workers: 0 });
    expect(auditReportOf(paged)).toEqual(auditReportOf(whole));
    expect(paged.events).toBe(clean.log.length);
  });

  it('given no server listening, then exit 3', async () => {
    const res = await parley(['audit', '--server', 'http://127.0.0.1:9', '--channel', clean.channel, '--keystore', join(dir, 'member.keystore'), '--passphrase-file', passFile]);
    expect(res.code).toBe(3);
  });
});
