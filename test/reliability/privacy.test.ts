/**
 * Privacy: a real server process (logging at debug) runs the demo negotiation (`npm run
 * demo`'s program) and a full negotiation through the SDK that puts a unique marker in every
 * content field of every event type — names, dates of birth, family, health, locations,
 * terms, messages, notes and reasons. The participants read every marker back decrypted;
 * then neither the database (SQLite file, WAL and index; or a pg_dump of the PostgreSQL
 * schema) nor the service's output holds any of them, nor the demo's content strings.
 */
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ChannelSession, ParleyHttpClient, type Draft } from '../../src/client';
import { generateIdentity, makeParticipant, type ChannelState, type EventType, type Identity, type Role } from '../../src/protocol';
import { POSTGRES_URL } from '../store/store-test-kit';
import { spawnedServerFor, storeKinds } from './reliability-kit';

jest.setTimeout(120_000);

const ROOT = resolve(__dirname, '..', '..');

/** Content strings of src/demo/demo.ts: each is printed in a decrypted view by the demo, and must be nowhere on the server. */
const DEMO_SHOWN = [
  'Child One',
  'Person Two',
  'Child Three',
  '2015-03-02',
  '2017-11-30',
  'Vaccinations up to date',
  'Back channel: can we discuss',
  "Last seen in a children's home",
  'Handover of two persons at the border crossing',
  'Both persons, escorted by the mediator',
];
/** More of the demo's content, not all of it printed by the demo. */
const DEMO_CONTENT = [
  ...DEMO_SHOWN,
  'Channel for the safe return of displaced children',
  'Parent One',
  'Grandmother Three',
  'displaced at 16',
  'Released 10:05',
  'Both together, please.',
  'With mother.',
  'Deputy joins.',
  'Key rotation.',
];

/** Every file under `dir`, bytes as latin1 text (so any UTF-8 string is found as is). */
function filesUnder(dir: string): { path: string; text: string }[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [{ path, text: readFileSync(path).toString('latin1') }];
  });
}

/** A full negotiation through the SDK, a fresh marker in every content field; returns the markers. */
async function markedNegotiation(url: string): Promise<string[]> {
  const tag = randomBytes(4).toString('hex');
  const markers: string[] = [];
  const mark = (field: string) => {
    const m = `PRIVACY-${tag}-${field}-${markers.length}`;
    markers.push(m);
    return m;
  };
  const channel = randomUUID();
  const people: Record<string, { identity: Identity; party: string; role: Role }> = {
    'ua.lead': { identity: generateIdentity(), party: 'ua', role: 'negotiator' },
    'ru.lead': { identity: generateIdentity(), party: 'ru', role: 'negotiator' },
    'us.envoy': { identity: generateIdentity(), party: 'us', role: 'negotiator' },
    'icrc.audit': { identity: generateIdentity(), party: 'icrc', role: 'auditor' },
  };
  const sessions: Record<string, ChannelSession> = {};
  for (const [id, p] of Object.entries(people)) {
    sessions[id] = new ChannelSession(new ParleyHttpClient({ server: url, keys: p.identity }), { id, ...p.identity }, channel);
  }
  const act = <T extends EventType>(who: string, make: (s: ChannelState) => Draft<T>) => sessions[who].submit(make);
  const hash = (s: ChannelState, p: string) => s.proposals.get(p)!.submitted.hash;
  const notary = await new ParleyHttpClient({ server: url }).notary();
  await sessions['ua.lead'].open({
    type: 'ChannelOpened',
    meta: {
      parties: [
        { id: 'icrc', kind: 'observer' },
        { id: 'ru', kind: 'side' },
        { id: 'ua', kind: 'side' },
        { id: 'us', kind: 'mediator' },
      ],
      participants: Object.entries(people).map(([id, p]) => makeParticipant(channel, p.identity, { id, party: p.party, role: p.role })),
      notary: { signKey: notary.signKey },
      policy: { quorum: 'sides', auditorsRead: true },
    },
    content: { title: mark('title'), mandate: mark('mandate') },
  });
  const request = (holder: string) => {
    const id = randomUUID();
    const content = {
      person: { fullName: mark('fullName'), dateOfBirth: mark('dateOfBirth') },
      family: { contactName: mark('contactName'), relation: mark('relation') },
      notes: mark('notes'),
    };
    return act('ua.lead', () => ({ type: 'ReunificationRequested', meta: { request: id, category: 'minor', holder }, content })).then(() => id);
  };
  const [r1, r2, r3] = [await request('ru'), await request('ru'), await request('ru')];
  for (const kind of ['details', 'health', 'location', 'document'] as const) {
    const text = mark(kind);
    await act('ru.lead', () => ({ type: 'RequestInformationShared', meta: { request: r1, kind }, content: { text } }));
  }
  const message = mark('message');
  await act('us.envoy', () => ({ type: 'MessagePosted', meta: { audience: ['ru', 'us'] }, content: { text: message } }));
  const propose = async (who: string, requests: string[]) => {
    const id = randomUUID();
    const content = { terms: mark('terms'), handover: { location: mark('location'), escort: mark('escort') } };
    await act(who, () => ({ type: 'ProposalSubmitted', meta: { proposal: id, requests: [...requests].sort() }, content }));
    return id;
  };
  const note = (field: string) => ({ note: mark(field) });
  const agreeOn = async (p: string) => {
    for (const who of ['ua.lead', 'ru.lead']) {
      const content = note('accept');
      await act(who, (s) => ({ type: 'ProposalAccepted', meta: { proposal: p, proposalHash: hash(s, p) }, content }));
    }
    if (!(await sessions['ua.lead'].waitFor((s) => s.proposals.get(p)?.status === 'agreed', { timeoutMs: 20_000 }))) throw new Error('no TransferAgreed');
  };
  const rejected = await propose('us.envoy', [r2]);
  const rejection = { reason: mark('rejectReason') };
  await act('ru.lead', (s) => ({ type: 'ProposalRejected', meta: { proposal: rejected, proposalHash: hash(s, rejected) }, content: rejection }));
  const withdrawn = await propose('ua.lead', [r2]);
  const withdrawal = note('withdrawProposal');
  await act('ua.lead', () => ({ type: 'ProposalWithdrawn', meta: { proposal: withdrawn }, content: withdrawal }));
  const p1 = await propose('us.envoy', [r1]);
  await agreeOn(p1);
  const released = note('released');
  const received = note('received');
  const completed = note('completed');
  await act('ru.lead', () => ({ type: 'HandoverConfirmed', meta: { proposal: p1, request: r1, step: 'released' }, content: released }));
  await act('ua.lead', () => ({ type: 'HandoverConfirmed', meta: { proposal: p1, request: r1, step: 'received' }, content: received }));
  await act('ua.lead', () => ({ type: 'ReunificationCompleted', meta: { request: r1 }, content: completed }));
  const p2 = await propose('us.envoy', [r2]);
  await agreeOn(p2);
  const cancellation = { reason: mark('cancelReason') };
  await act('ru.lead', () => ({ type: 'TransferCancelled', meta: { proposal: p2 }, content: cancellation }));
  const requestWithdrawal = { reason: mark('withdrawRequest') };
  await act('ua.lead', () => ({ type: 'RequestWithdrawn', meta: { request: r3, reason: 'other' }, content: requestWithdrawal }));
  const deputy = generateIdentity();
  const admission = note('admitted');
  await act('ru.lead', () => ({ type: 'ParticipantAdmitted', meta: { participant: makeParticipant(channel, deputy, { id: 'ru.deputy', party: 'ru', role: 'negotiator' }) }, content: admission }));
  const rotated = generateIdentity();
  const revocation = note('revoked');
  await act('ru.lead', () => ({
    type: 'ParticipantRevoked',
    meta: { participant: 'ru.deputy', replacement: makeParticipant(channel, rotated, { id: 'ru.deputy2', party: 'ru', role: 'negotiator' }) },
    content: revocation,
  }));

  // The auditor (auditorsRead) opened every body: each marker really was content.
  const auditor = sessions['icrc.audit'];
  await auditor.sync();
  const readable = JSON.stringify(auditor.view.entries.map((e) => e.content));
  const unread = markers.filter((m) => !readable.includes(m));
  if (unread.length) throw new Error(`markers the participants could not read: ${unread.join(', ')}`);
  return markers;
}

function runDemo(url: string): Promise<{ code: number; out: string }> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [join(ROOT, 'dist', 'src', 'demo', 'demo.js'), '--server', url],
      { cwd: ROOT, env: { ...process.env, PARLEY_KEYSTORE_SCRYPT_N: '1024' }, timeout: 90_000 },
      (err, stdout, stderr) => done({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr }),
    );
  });
}

describe.each(storeKinds(['sqlite', 'postgres']))('privacy on %s', (kind) => {
  const suite = spawnedServerFor(kind, { LOG_LEVEL: 'debug' });

  it('given the demo and a negotiation with a marker in every content field, then no plaintext is in the database or the logs', async () => {
    const { server, location } = suite;
    const demo = await runDemo(server.url);
    expect({ code: demo.code, tail: demo.out.slice(-300) }).toEqual({ code: 0, tail: expect.any(String) });
    for (const s of DEMO_SHOWN) expect({ s, shownDecrypted: demo.out.includes(s) }).toEqual({ s, shownDecrypted: true });
    const markers = await markedNegotiation(server.url);
    expect(markers.length).toBeGreaterThan(30);

    // Stop the server first (SQLite checkpoints its WAL on close; the WAL as it was is read too, below).
    const stored: { path: string; text: string }[] = [];
    if (kind === 'sqlite') stored.push(...filesUnder(location.env.PARLEY_DATA_DIR));
    else {
      const dump = execFileSync('pg_dump', ['--dbname', POSTGRES_URL, '--schema', location.env.PARLEY_POSTGRES_SCHEMA, '--format', 'plain'], { maxBuffer: 1 << 28 });
      stored.push({ path: 'pg_dump', text: dump.toString('latin1') });
    }
    await server.stop();
    if (kind === 'sqlite') stored.push(...filesUnder(location.env.PARLEY_DATA_DIR).map((f) => ({ ...f, path: `${f.path} (after close)` })));
    // The store really holds the negotiation (ciphertext and public meta): the search is not over empty files.
    expect(stored.reduce((n, f) => n + (f.text.match(/"type":"ReunificationRequested"/g)?.length ?? 0), 0)).toBeGreaterThanOrEqual(7);

    const logs = server.output();
    expect(logs.length).toBeGreaterThan(1000);
    const leaks = [...DEMO_CONTENT, ...markers].flatMap((s) => [
      ...stored.filter((f) => f.text.includes(s)).map((f) => `${s} in ${f.path}`),
      ...(logs.includes(s) ? [`${s} in the service's output`] : []),
    ]);
    expect(leaks).toEqual([]);
  });
});
