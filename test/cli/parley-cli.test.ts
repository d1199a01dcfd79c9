/**
 * `parley` end to end: the real CLI binary against a real service process (SQLite in a
 * temporary data directory), keystores encrypted on disk. One server for the whole file;
 * keystores use a low scrypt cost (PARLEY_KEYSTORE_SCRYPT_N) so the file stays quick.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { b64uDecode, canonical, ed25519Signer, eventHash, signEnvelope, verifyLog } from '../../src/protocol';
import { buildEnvelope, ChannelSession, ChannelSummary, draft, ParleyHttpClient, summarizeChannel, SYNC_PROGRESS_EVERY } from '../../src/client';
import { readKeystore, readKeystoreFile, saveKeystore, writeKeystore } from '../../src/client/keystore-file';
import { lock } from 'proper-lockfile';
import { SqliteEventStore } from '../../src/store/sqlite/sqlite-event-store.adapter';
import { channelStream } from '../../src/store/event-store.port';
import { parley, parleyBackground, parleyInTerminal, ServerProcess } from './parley-harness';
import { FaultProxy } from '../support/fault-proxy';

jest.setTimeout(60_000);

const PASS = 'correct horse battery staple';

describe('parley CLI against a running service', () => {
  const server = new ServerProcess();
  let dir = ''; // made in beforeAll: a filtered-out describe never runs afterAll
  const ks = (id: string) => join(dir, `${id}.keystore`);
  let channel = '';
  const env = (id: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
    PARLEY_SERVER: server.url,
    PARLEY_KEYSTORE: ks(id),
    PARLEY_PASSPHRASE: PASS,
    PARLEY_KEYSTORE_SCRYPT_N: '1024',
    PARLEY_CHANNEL: channel,
    ...extra,
  });
  /** Runs a command as `id`, expecting success, and returns its JSON. */
  const ok = async (id: string, args: string[]) => {
    const r = await parley([...args, '--json'], env(id));
    if (r.code !== 0) throw new Error(`parley ${args.join(' ')} as ${id} exited ${r.code}: ${r.stdout}${r.stderr}`);
    return r.json;
  };
  /** A channel file for `parley channel open`: the records `members` sign for `channel` (with whoami --record), and the rest. */
  const writeChannelFile = async (file: string, channelId: string, members: string[], rest: { title: string; mandate: string; parties: object[]; policy: object }) => {
    const participants = await Promise.all(members.map((id) => ok(id, ['whoami', '--record', channelId])));
    writeFileSync(file, JSON.stringify({ channel: channelId, ...rest, participants }));
  };
  const status = (id: string) => ok(id, ['status']);
  // Polling goes through the SDK in-process (the mediator's own verified view): cheaper than a CLI run per poll.
  let probe: ChannelSession;
  const headSeq = async () => (await probe.http.head(channel)).seq - 1;
  const probeHash = async (seq: number) => {
    await probe.sync();
    return probe.view.entries[seq]?.hash;
  };
  const until = async (what: string, test: (s: ChannelSummary) => boolean) => {
    for (let i = 0; i < 100; i++) {
      await probe.sync();
      if (test(summarizeChannel(probe.view))) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`timed out waiting until ${what}`);
  };
  const proposalStatus = (s: ChannelSummary, id: string) => s.proposals.find((p) => p.id === id)?.status;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'parley-e2e-cli-'));
    // A global auditor (server configuration) may read every channel: GET /v1/export.
    const global = await ok('global.audit', ['keygen', '--id', 'global.audit', '--party', 'audit', '--role', 'auditor']);
    // As the README has the operator do it: whoami's auditorEntry.
    const { auditorEntry } = await ok('global.audit', ['whoami']);
    expect(auditorEntry).toBe(`${global.signKey}:${global.boxKey}`);
    await server.start({ PARLEY_AUDITORS: auditorEntry });
    const keygens = [
      ['ua.lead', 'ua', 'negotiator'],
      ['ru.lead', 'ru', 'negotiator'],
      ['us.envoy', 'us', 'negotiator'],
      ['icrc.audit', 'icrc', 'auditor'],
      ['ru.deputy', 'ru', 'negotiator'],
    ];
    await Promise.all(keygens.map(([id, party, role]) => ok(id, ['keygen', '--id', id, '--party', party, '--role', role])));
    channel = (await parley(['channel', 'new-id'], {})).stdout.trim();
    await writeChannelFile(join(dir, 'channel.json'), channel, ['ru.lead', 'us.envoy', 'icrc.audit'], {
      title: 'Return of children',
      mandate: 'Safe return of displaced children.',
      parties: [
        { id: 'icrc', kind: 'observer' },
        { id: 'ru', kind: 'side' },
        { id: 'ua', kind: 'side' },
        { id: 'us', kind: 'mediator' },
      ],
      policy: { quorum: 'sides', auditorsRead: false },
    });
  });

  afterAll(async () => {
    await server.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('keygen writes an encrypted 0600 keystore; whoami shows the safety number; a wrong passphrase is refused', async () => {
    expect(statSync(ks('ua.lead')).mode & 0o777).toBe(0o600);
    const text = readFileSync(ks('ua.lead'), 'utf8');
    expect(text).not.toContain('ua.lead');
    const who = await parley(['whoami'], env('ua.lead'));
    expect(who.code).toBe(0);
    expect(who.stdout).toMatch(/Safety number: ([0-9a-f]{4} ){15}[0-9a-f]{4}/);
    writeFileSync(join(dir, 'pass.txt'), PASS + '\n', { mode: 0o644 });
    const fromFile = await parley(['whoami', '--passphrase-file', join(dir, 'pass.txt'), '--json'], env('ua.lead', { PARLEY_PASSPHRASE: '' }));
    expect(fromFile.json).toMatchObject({ id: 'ua.lead', party: 'ua', role: 'negotiator' });
    expect(fromFile.stderr).toBe(`parley: warning: the passphrase file ${join(dir, 'pass.txt')} is readable or writable by others (mode 644): chmod 600 ${join(dir, 'pass.txt')}\n`);
    chmodSync(join(dir, 'pass.txt'), 0o600);
    expect((await parley(['whoami', '--passphrase-file', join(dir, 'pass.txt')], env('ua.lead', { PARLEY_PASSPHRASE: '' }))).stderr).toBe('');
    // The keystore itself, made readable to others (a copy lets anyone try passphrases offline).
    chmodSync(ks('ua.lead'), 0o644);
    expect((await parley(['whoami'], env('ua.lead'))).stderr).toBe(`parley: warning: the keystore ${ks('ua.lead')} is readable or writable by others (mode 644): chmod 600 ${ks('ua.lead')}\n`);
    chmodSync(ks('ua.lead'), 0o600);
    const none = await parley(['whoami'], env('ua.lead', { PARLEY_PASSPHRASE: '' }));
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('a passphrase is needed');
    const wrong = await parley(['whoami'], env('ua.lead', { PARLEY_PASSPHRASE: 'not it' }));
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('wrong_passphrase');
    const again = await parley(['keygen', '--id', 'ua.lead', '--party', 'ua'], env('ua.lead'));
    expect(again.code).toBe(2);
    expect(readFileSync(ks('ua.lead'), 'utf8')).toBe(text);
  });

  let r1 = '';
  let r2 = '';
  let r3 = '';

  it('opens the channel, files requests and shares information', async () => {
    const opened = await ok('ua.lead', ['channel', 'open', '--file', join(dir, 'channel.json')]);
    expect(opened).toMatchObject({ ok: true, type: 'ChannelOpened', seq: 0 });
    const us = readKeystore(ks('us.envoy'), PASS);
    probe = new ChannelSession(new ParleyHttpClient({ server: server.url, keys: us.identity }), us, channel);
    // Concurrent on purpose: one client's appends race each other and are re-signed.
    [r1, r2, r3] = (
      await Promise.all([
        ok('ua.lead', ['request', '--holder', 'ru', '--name', 'Child One', '--born', '2015-03-02', '--contact', 'Parent One', '--relation', 'mother']),
        ok('ua.lead', ['request', '--holder', 'ru', '--category', 'adult-displaced-as-minor', '--name', 'Person Two']),
        ok('ua.lead', ['request', '--holder', 'ru', '--name', 'Child Three']),
      ])
    ).map((r) => r.request);
    writeFileSync(join(dir, 'doc.txt'), 'certificate');
    await Promise.all([
      ok('ru.lead', ['share', r1.slice(0, 8), '--kind', 'health', '--text', 'Asthma, inhaler supplied.']),
      ok('ua.lead', ['share', r2, '--kind', 'document', '--file', join(dir, 'doc.txt')]),
    ]);
    const s = await status('ru.lead');
    const one = s.requests.find((r: { id: string }) => r.id === r1);
    expect(one).toMatchObject({ person: { fullName: 'Child One', dateOfBirth: '2015-03-02' }, information: [{ kind: 'health', content: { text: 'Asthma, inhaler supplied.' } }] });
    const two = s.requests.find((r: { id: string }) => r.id === r2);
    expect(two.information[0].content.document).toMatchObject({ name: 'doc.txt', size: 11 });
  });

  it("the opener is held to the opening it signed: a server serving another opening of the channel (another side's key) is refused", async () => {
    await Promise.all(
      [
        ['ua.opener', 'ua'],
        ['ru.other', 'ru'],
      ].map(([id, party]) => ok(id, ['keygen', '--id', id, '--party', party])),
    );
    // An impostor's keys under the other side's participant id.
    await parley(['keygen', '--id', 'ru.other', '--party', 'ru', '--json'], env('ru.impostor'));
    const c2 = randomUUID();
    const parties = [
      { id: 'ru', kind: 'side' },
      { id: 'ua', kind: 'side' },
    ];
    const file = (name: string, records: object[]) => {
      writeFileSync(join(dir, name), JSON.stringify({ channel: c2, title: 'T', mandate: 'M', parties, participants: records, policy: { quorum: 'sides', auditorsRead: false } }));
      return join(dir, name);
    };
    const record = (id: string) => ok(id, ['whoami', '--record', c2]);
    const opener = await record('ua.opener');
    const opened = await parley(['channel', 'open', '--file', file('c2.json', [opener, await record('ru.other')]), '--json'], env('ua.opener', { PARLEY_CHANNEL: c2 }));
    expect(opened.code).toBe(0);
    expect(readKeystore(ks('ua.opener'), PASS).seen?.[c2]).toEqual({ seq: 0, hash: opened.json.hash });
    // Another server, where the impostor opened the same channel with the opener's genuine record.
    const other = new ServerProcess();
    await other.start();
    try {
      const forged = file('c2-forged.json', [opener, await record('ru.impostor')]);
      expect((await parley(['channel', 'open', '--file', forged], env('ru.impostor', { PARLEY_SERVER: other.url, PARLEY_CHANNEL: c2 }))).code).toBe(0);
      const fooled = await parley(['status'], env('ua.opener', { PARLEY_SERVER: other.url, PARLEY_CHANNEL: c2 }));
      expect({ code: fooled.code, stderr: fooled.stderr }).toEqual({ code: 1, stderr: expect.stringMatching(/^parley: prev_mismatch: .*differs at seq 0 /m) });
      // Nothing was sealed to the impostor: a request is refused the same way.
      const request = await parley(['request', '--holder', 'ru', '--name', 'Child Secret'], env('ua.opener', { PARLEY_SERVER: other.url, PARLEY_CHANNEL: c2 }));
      expect(request.code).toBe(1);
    } finally {
      await other.stop();
    }
  });

  it('share --kind details adds encrypted details to a request; a kind outside the four is a usage error', async () => {
    const shared = await ok('ua.lead', ['share', r3, '--kind', 'details', '--text', 'Speaks Ukrainian; last seen in City Y.']);
    expect(shared).toMatchObject({ ok: true, type: 'RequestInformationShared' });
    const three = (await status('ru.lead')).requests.find((r: { id: string }) => r.id === r3);
    expect(three.information).toEqual([expect.objectContaining({ kind: 'details', content: { text: 'Speaks Ukrainian; last seen in City Y.' } })]);
    const wrong = await parley(['share', r3, '--kind', 'detail', '--text', 'x'], env('ua.lead'));
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/--kind.*details, health, location, document/s);
  });

  it('save writes a shared document to a new owner-only file; never over a file, never outside the directory it runs in', async () => {
    const two = (await status('ru.lead')).requests.find((r: { id: string }) => r.id === r2);
    const seq = String(two.information[0].seq);
    const human = await parley(['status'], env('ru.lead'));
    expect(human.stdout).toContain(`document: #${seq} document "doc.txt" (11 bytes)`);
    // Its own row too, whatever else the request's cell holds (a cell is cut at 48 columns).
    expect(human.stdout).toMatch(new RegExp(`^Documents \\(parley save <seq>\\)\\n(.*\\n){2}${seq} +${r2.slice(0, 8)} +document +document "doc.txt" \\(11 bytes\\)$`, 'm'));
    expect(human.stdout).not.toContain('Y2VydGlmaWNhdGU'); // the bytes (base64url of "certificate") are not shown
    const into = mkdtempSync(join(dir, 'save-'));
    // By default under the sender's name, in the current directory.
    const saved = await parley(['save', seq, '--json'], env('ru.lead'), { cwd: into });
    expect(saved.json).toEqual({ ok: true, seq: Number(seq), name: 'doc.txt', size: 11, out: 'doc.txt' });
    expect(readFileSync(join(into, 'doc.txt'), 'utf8')).toBe('certificate');
    expect(statSync(join(into, 'doc.txt')).mode & 0o777).toBe(0o600);
    const again = await parley(['save', seq], env('ru.lead'), { cwd: into });
    expect({ code: again.code, stderr: again.stderr }).toEqual({ code: 2, stderr: expect.stringMatching(/^parley: usage: doc\.txt \(the name its sender gave\) exists already: save never overwrites/) });
    const out = await parley(['save', seq, '--out', '-'], env('ru.lead'));
    expect({ code: out.code, stdout: out.stdout }).toEqual({ code: 0, stdout: 'certificate' });
    // Another party's bytes are not written to a terminal (they could drive it).
    const onTerminal = await parleyInTerminal(['save', seq, '--out', '-'], env('ru.lead'), []);
    expect({ code: onTerminal.code, screen: onTerminal.screen }).toEqual({ code: 2, screen: expect.stringContaining('standard output is a terminal: redirect it') });
    expect((await parley(['save', seq, '--out', join(into, 'copy.txt')], env('ru.lead'))).stdout).toBe(`saved doc.txt (11 bytes, shared by ua.lead at seq ${seq}) to ${join(into, 'copy.txt')}\n`);
    // A sender's software may name the document anything: a path is refused, and nothing written.
    writeFileSync(join(dir, 'escape.json'), JSON.stringify({ document: { name: '../escaped.txt', size: 1, data: 'eA' } }));
    const hostile = await ok('ua.lead', ['share', r2, '--kind', 'document', '--content', join(dir, 'escape.json')]);
    const escape = await parley(['save', String(hostile.seq)], env('ru.lead'), { cwd: into });
    expect({ code: escape.code, stderr: escape.stderr }).toEqual({ code: 2, stderr: expect.stringContaining('is not a bare file name') });
    expect(existsSync(join(dir, 'escaped.txt'))).toBe(false);
    // A hidden or option-like name is not written by default (.bash_profile in a home directory runs at the next login).
    writeFileSync(join(dir, 'hidden.json'), JSON.stringify({ document: { name: '.bash_profile', size: 1, data: 'eA' } }));
    const hidden = await ok('ua.lead', ['share', r2, '--kind', 'document', '--content', join(dir, 'hidden.json')]);
    const refused = await parley(['save', String(hidden.seq)], env('ru.lead'), { cwd: into });
    expect({ code: refused.code, stderr: refused.stderr }).toEqual({ code: 2, stderr: expect.stringContaining('named the document ".bash_profile", which is not saved under its own name (a hidden file, or one read as an option): give --out <file>') });
    expect(existsSync(join(into, '.bash_profile'))).toBe(false);
    expect((await parley(['save', String(hidden.seq), '--out', 'profile.txt'], env('ru.lead'), { cwd: into })).code).toBe(0);
    expect(readFileSync(join(into, 'profile.txt'), 'utf8')).toBe('x');
    // Saved under --out, a name of several lines is said on one: it cannot print a line passing for ours.
    writeFileSync(join(dir, 'lines.json'), JSON.stringify({ document: { name: 'doc.txt\nparley: note: verified', size: 1, data: 'eA' } }));
    const lines = await ok('ua.lead', ['share', r2, '--kind', 'document', '--content', join(dir, 'lines.json')]);
    const savedLines = await parley(['save', String(lines.seq), '--out', 'lines.txt'], env('ru.lead'), { cwd: into });
    expect(savedLines.stdout).toBe(`saved doc.txt\\u{a}parley: note: verified (1 bytes, shared by ua.lead at seq ${lines.seq}) to lines.txt\n`);
    const notADocument = await parley(['save', '0'], env('ru.lead'));
    expect({ code: notADocument.code, stderr: notADocument.stderr }).toEqual({ code: 2, stderr: expect.stringContaining('(ChannelOpened) holds no document') });
    const noSuchEvent = await parley(['save', '100000'], env('ru.lead'));
    expect(noSuchEvent.stderr).toMatch(/the channel has no event at seq 100000 \(its last is \d+\)/);
  });

  it('plain http to another host than loopback is warned of once, before the first request; loopback and https are not', async () => {
    const local = await parley(['status'], env('ru.lead'));
    expect(local.stderr).not.toContain('plain http');
    // This machine's name (this machine, so the request fails or succeeds at once); the warning comes first either way.
    const named = server.url.replace('127.0.0.1', hostname());
    const far = await parley(['status', '--server', named], env('ru.lead'));
    const warning = `parley: warning: ${named} is plain http to another machine: bodies stay end-to-end encrypted, but each event's public meta (who sends what, when) and your signed requests cross the network in clear; use https://\n`;
    expect(far.stderr.startsWith(warning)).toBe(true);
    expect(far.stderr.split('plain http').length).toBe(2);
  });

  it('names and messages can come from standard input, off the command line (process list, shell history)', async () => {
    const person = { person: { fullName: 'Child Four', dateOfBirth: '2016-01-01' }, family: { contactName: 'Parent Four' }, notes: 'asthma' };
    const filed = await parley(['request', '--holder', 'ru', '--content', '-', '--json'], env('ua.lead'), { input: JSON.stringify(person) });
    expect({ code: filed.code, ok: filed.json?.ok }).toEqual({ code: 0, ok: true });
    const four = (await status('ru.lead')).requests.find((r: { id: string }) => r.id === filed.json.request);
    expect(four).toMatchObject({ person: person.person });
    await ok('ua.lead', ['withdraw', filed.json.request]); // out of the way of the listings below
    const said = await parley(['message', '-', '--to', 'ru', '--json'], env('us.envoy'), { input: 'Read from standard input.\n' });
    expect(said.code).toBe(0);
    const messages = (await status('ru.lead')).messages;
    expect(messages[messages.length - 1]).toMatchObject({ seq: said.json.seq, text: 'Read from standard input.' });
    // Typed at a terminal, ended with Ctrl-D.
    const typed = await parleyInTerminal(['message', '-', '--to', 'ru', '--json'], env('us.envoy'), [['end it with Ctrl-D', 'Typed at a terminal.\r\u0004']]);
    expect(typed.code).toBe(0);
    const after = (await status('ru.lead')).messages;
    expect(after[after.length - 1]).toMatchObject({ text: 'Typed at a terminal.' });
    const both = await parley(['message', '-', '--content', '-'], env('us.envoy'), { input: '{}' });
    expect({ code: both.code, stderr: both.stderr }).toEqual({ code: 2, stderr: 'parley: usage: standard input can be the text (-) or --content -, not both\n' });
    const notJson = await parley(['request', '--holder', 'ru', '--content', '-'], env('ua.lead'), { input: '{"person": ' });
    expect({ code: notJson.code, stderr: notJson.stderr }).toEqual({ code: 2, stderr: expect.stringMatching(/^parley: usage: --content -: /) });
  });

  it('a back-channel message reaches its audience only: the other side sees it closed', async () => {
    await ok('us.envoy', ['message', 'Back channel: the first two cases?', '--to', 'ru']);
    const msg = (s: { messages: { text: string | null }[] }) => s.messages[s.messages.length - 1].text;
    expect(msg(await status('ru.lead'))).toBe('Back channel: the first two cases?');
    expect(msg(await status('ua.lead'))).toBeNull();
    const human = await parley(['status'], env('ua.lead'));
    expect(human.stdout).toContain('(closed to you)');
    expect(human.stdout).toContain('Child One');
  });

  let p3 = '';

  it('negotiates: proposal, counter-proposal, rejection, admission, acceptances, notary agreement', async () => {
    const p1 = (await ok('us.envoy', ['propose', '--requests', `${r1},${r2}`, '--terms', 'Both at Crossing A', '--location', 'Crossing A'])).proposal;
    const p2 = (await ok('ru.lead', ['propose', '--requests', r1, '--terms', 'One first', '--supersedes', p1])).proposal;
    await ok('ua.lead', ['reject', p2, '--reason', 'Both together, please.']);
    p3 = (await ok('us.envoy', ['propose', '--requests', `${r1},${r2}`, '--terms', 'Both, escorted', '--from', '2026-10-24', '--until', '2026-10-25'])).proposal;
    await ok('ua.lead', ['accept', p3]);
    const record = await parley(['whoami', '--record', channel], env('ru.deputy'));
    writeFileSync(join(dir, 'deputy.json'), record.stdout);
    await ok('ru.lead', ['admit', '--record', join(dir, 'deputy.json'), '--note', 'Deputy joins.']);
    await ok('ru.deputy', ['accept', p3.slice(0, 8)]);
    await until('the notary agrees', (s) => proposalStatus(s, p3) === 'agreed');
    const s = await status('ua.lead');
    expect(s.proposals.map((p: { status: string }) => p.status)).toEqual(['superseded', 'rejected', 'agreed']);
    expect(s.proposals[2]).toMatchObject({ acceptedBy: ['ru', 'ua'], terms: 'Both, escorted', handover: { window: { from: '2026-10-24', to: '2026-10-25' } } });
  });

  it('a rule violation is refused locally with its code, and nothing is stored', async () => {
    const before = await headSeq();
    const r = await parley(['complete', r3], env('ua.lead'));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^parley: invalid_transition: /);
    const j = await parley(['handover', r1, '--step', 'released', '--json'], env('ua.lead'));
    expect(j.code).toBe(1);
    expect(j.json).toMatchObject({ ok: false, error: 'forbidden' });
    expect(await headSeq()).toBe(before);
  });

  it('hands over and completes two reunifications; requests and reunifications list them with names', async () => {
    const steps = async (steps: [string, string[]][]) => {
      for (const [id, args] of steps) await ok(id, args);
    };
    await Promise.all([
      steps([
        ['ru.lead', ['handover', r1, '--step', 'released', '--note', 'Released 10:05']],
        ['ua.lead', ['handover', r1, '--step', 'received']],
        ['ua.lead', ['complete', r1, '--note', 'With mother.']],
      ]),
      steps([
        ['ru.deputy', ['handover', r2, '--step', 'released']],
        ['ua.lead', ['handover', r2, '--step', 'received']],
        ['ua.lead', ['complete', r2]],
      ]),
      (async () => {
        const dup = (await ok('ua.lead', ['request', '--holder', 'ru', '--name', 'Child One', '--notes', 'duplicate'])).request;
        await ok('ua.lead', ['withdraw', dup, '--reason', 'duplicate']);
      })(),
    ]);
    // The read model follows the log: wait for it in-process, then ask the CLI once.
    for (let i = 0; i < 100 && (await probe.http.reunifications()).items.length < 2; i++) await new Promise((r) => setTimeout(r, 100));
    const reunited: { request: string; person: string }[] = (await ok('ru.lead', ['reunifications'])).items;
    expect(reunited.map((x) => [x.request, x.person]).sort()).toEqual([[r1, 'Child One'], [r2, 'Person Two']].sort());
    const open = (await ok('ru.lead', ['requests'])).items;
    expect(open.map((x: { request: string; person: string }) => [x.request, x.person])).toEqual([[r3, 'Child Three']]);
    const table = await parley(['reunifications'], env('ru.lead'));
    expect(table.stdout).toContain('Person Two');
    expect(table.stderr).toBe(''); // the server's listing agrees with the verified logs

    // A server that makes a reunification up and hides the real ones is not believed.
    const fake = '0badf00d-0000-4000-8000-000000000000';
    const proxy = new FaultProxy();
    await proxy.start(server.url);
    try {
      proxy.replaceNextAnswer('GET /v1/reunifications', 200, { items: [{ channel, request: fake, party: 'ua', holder: 'ru', transfer: fake }] });
      const lied = await ok('ru.lead', ['reunifications', '--server', proxy.url]);
      expect(proxy.replaced).toBe(1);
      expect(lied.items.map((x: { request: string }) => x.request).sort()).toEqual([r1, r2].sort());
      expect(lied.serverDisagrees).toEqual({ listedButNotVerified: [`${channel}/${fake}`], verifiedButNotListed: expect.arrayContaining([`${channel}/${r1}`, `${channel}/${r2}`]), listedOtherwise: [] });
      // Every row listed, one of them saying something else (another holder).
      const real = (await probe.http.reunifications()).items as { request: string; holder: string }[];
      proxy.replaceNextAnswer('GET /v1/reunifications', 200, { items: real.map((x) => (x.request === r1 ? { ...x, holder: 'ua' } : x)) });
      const reworded = await ok('ru.lead', ['reunifications', '--server', proxy.url]);
      expect(reworded.serverDisagrees).toEqual({ listedButNotVerified: [], verifiedButNotListed: [], listedOtherwise: [`${channel}/${r1}`] });
      proxy.replaceNextAnswer('GET /v1/reunifications', 200, { items: [] });
      const warned = await parley(['reunifications', '--server', proxy.url], env('ru.lead'));
      expect(warned.stderr).toMatch(/warning: the server's listing differs from the verified logs: it left out 2/);
      expect(warned.stdout).toContain('Person Two');
    } finally {
      await proxy.stop();
    }
  });

  it('withdraws a proposal, cancels an agreed transfer (its request returns to open)', async () => {
    const p4 = (await ok('us.envoy', ['propose', '--requests', r3, '--terms', 'Child Three alone'])).proposal;
    // A proposal's withdrawal has no reason in its meta: one given is refused, not lost.
    const reasoned = await parley(['withdraw', p4, '--reason', 'duplicate'], env('us.envoy'));
    expect({ code: reasoned.code, stderr: reasoned.stderr }).toEqual({ code: 2, stderr: expect.stringMatching(/^parley: usage: --reason is for a request; a proposal is withdrawn without one/) });
    await ok('us.envoy', ['withdraw', p4]);
    const p5 = (await ok('us.envoy', ['propose', '--requests', r3, '--terms', 'Child Three, next week'])).proposal;
    await ok('ua.lead', ['accept', p5]);
    await ok('ru.lead', ['accept', p5]);
    await until('the notary agrees', (s) => proposalStatus(s, p5) === 'agreed');
    await ok('ua.lead', ['cancel', p5, '--reason', 'Crossing closed.']);
    const s = await status('ru.lead');
    expect(s.proposals.find((p: { id: string }) => p.id === p4).status).toBe('withdrawn');
    expect(s.proposals.find((p: { id: string }) => p.id === p5).status).toBe('cancelled');
    expect(s.requests.find((r: { id: string }) => r.id === r3).status).toBe('open');
    expect(s.transfers.find((t: { proposal: string }) => t.proposal === p5)).toMatchObject({ status: 'cancelled', requests: [{ id: r3, status: 'open' }] });
  });

  it('tail follows the channel live over SSE, decrypting what it may', async () => {
    const tail = parleyBackground(['tail', '--last', '0', '--count', '2', '--json'], env('ru.lead'));
    // Written before tail has read the channel, the messages would count as past (--last 0), not live.
    while (!tail.stderr().includes('parley: following channel')) {
      if (tail.child.exitCode !== null) throw new Error(`tail exited with ${await tail.exited}: ${tail.stderr()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    // Another command on the same keystore meanwhile: what it saves outlives tail's own save at its end.
    const joined = randomUUID();
    await ok('ru.lead', ['whoami', '--record', joined]);
    await ok('us.envoy', ['message', 'Live one', '--to', 'ru']);
    await ok('ua.lead', ['message', 'Live two']);
    expect(await tail.exited).toBe(0);
    const lines = tail.stdout().trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.content?.text)).toEqual(['Live one', 'Live two']);
    const after = readKeystore(ks('ru.lead'), PASS);
    expect(after.channels).toEqual([channel, joined]);
    expect(after.seen?.[channel]).toEqual({ seq: lines[1].seq, hash: lines[1].hash });
    const human = parleyBackground(['tail', '--last', '3', '--count', '0'], env('ua.lead'));
    expect(await human.exited).toBe(0);
    expect(human.stdout()).toMatch(/MessagePosted \(to ru,us\)  \[not recipient\]/);
  });

  it('tail, told by the server that it no longer holds the last event shown (restored from an older backup), says how to take the log as it is now', async () => {
    const proxy = new FaultProxy();
    await proxy.start(server.url);
    try {
      const said = "Last-Event-ID 9 is past the channel's last event, seq 3: this server does not hold what you saw";
      proxy.replaceNextAnswer(`GET /v1/channels/${channel}/stream`, 400, { error: 'malformed', message: said });
      const r = await parley(['tail', '--last', '0'], env('ru.lead', { PARLEY_SERVER: proxy.url }));
      expect({ code: r.code, stderr: r.stderr }).toEqual({
        code: 1,
        stderr: expect.stringMatching(
          new RegExp(`^parley: seq_gap: the channel log does not verify at seq \\d+: ${said.replace(/[.]/g, '\\.')}\\. If its operator restored it from a backup, see what was lost with parley status, then take the log as it is now with parley status --accept-restore$`, 'm'),
        ),
      });
    } finally {
      await proxy.stop();
    }
  });

  it('given another command saved a later event of this very log while this one waited for the keystore lock, then this one reads on to it and saves: no fork is reported', async () => {
    const before = await headSeq();
    // Held as another command's save holds it: this command reads the file, unchanged, then waits.
    const release = await lock(ks('ru.lead'), { realpath: false });
    let held = true;
    try {
      const racing = parleyBackground(['message', 'Racing a save', '--to', 'ru', '--json'], env('ru.lead'));
      while ((await headSeq()) === before) {
        if (racing.child.exitCode !== null) throw new Error(`message exited with ${await racing.exited}: ${racing.stderr()}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      // The other command, meanwhile, saw one event more of the same log and remembers it.
      await ok('us.envoy', ['message', 'One more', '--to', 'ru']);
      const later = { seq: before + 2, hash: (await probeHash(before + 2))! };
      const other = readKeystoreFile(ks('ru.lead'), PASS);
      writeKeystore(ks('ru.lead'), { ...other.keys, seen: { ...other.keys.seen, [channel]: later } }, PASS, { overwrite: true, scryptN: 1024 });
      await release();
      held = false;
      expect({ code: await racing.exited, stderr: racing.stderr() }).toEqual({ code: 0, stderr: '' });
      expect(readKeystore(ks('ru.lead'), PASS).seen?.[channel]).toEqual(later);
    } finally {
      if (held) await release();
    }
  });

  it('given the log no longer verifies when a save reads on to an event another command remembered, then the save says so', async () => {
    // A server, channel and members of their own: this log is broken on purpose.
    const other = new ServerProcess();
    await other.start();
    await Promise.all([['ua.c3', 'ua'], ['ru.c3', 'ru']].map(([id, party]) => ok(id, ['keygen', '--id', id, '--party', party])));
    const c3 = randomUUID();
    const inC3 = (id: string) => env(id, { PARLEY_CHANNEL: c3, PARLEY_SERVER: other.url });
    const records = await Promise.all(['ua.c3', 'ru.c3'].map((id) => ok(id, ['whoami', '--record', c3])));
    const parties = [{ id: 'ru', kind: 'side' }, { id: 'ua', kind: 'side' }];
    writeFileSync(join(dir, 'c3.json'), JSON.stringify({ channel: c3, title: 'T', mandate: 'M', parties, participants: records, policy: { quorum: 'sides', auditorsRead: false } }));
    expect((await parley(['channel', 'open', '--file', join(dir, 'c3.json')], inC3('ua.c3'))).code).toBe(0);
    const ua = readKeystore(ks('ua.c3'), PASS);
    const reader = new ChannelSession(new ParleyHttpClient({ server: other.url, keys: ua.identity }), ua, c3);
    const ruKs = ks('ru.c3');
    const release = await lock(ruKs, { realpath: false });
    let held = true;
    const store = SqliteEventStore.open({ file: other.storeFile });
    try {
      const racing = parleyBackground(['message', 'Before a forged event', '--json'], inC3('ru.c3'));
      for (;;) {
        await reader.sync();
        if (reader.view.entries.length === 2) break;
        if (racing.child.exitCode !== null) throw new Error(`message exited with ${await racing.exited}: ${racing.stderr()}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      // Written into the database past the service: ua.c3's message under another key's signature.
      const wrongKey = { id: 'ua.c3', signSeed: readKeystore(ruKs, PASS).identity.signSeed };
      const forged = buildEnvelope(reader.view.state, wrongKey, draft('MessagePosted', { audience: ['ru', 'ua'] }, { text: 'forged' }), { channel: c3 });
      await store.append(channelStream(c3), [{ id: forged.id, type: forged.type, data: canonical(forged) }], forged.seq - 1);
      // Another command on ru.c3's keystore remembers it, as if it had seen it.
      const other = readKeystoreFile(ruKs, PASS);
      writeKeystore(ruKs, { ...other.keys, seen: { ...other.keys.seen, [c3]: { seq: forged.seq, hash: eventHash(forged) } } }, PASS, { overwrite: true, scryptN: 1024 });
      await release();
      held = false;
      expect({ code: await racing.exited, stderr: racing.stderr() }).toEqual({
        code: 0,
        stderr: expect.stringContaining(`parley: warning: channel ${c3}, read on to seq ${forged.seq} (which another command on this keystore remembered): bad_signature: `),
      });
    } finally {
      if (held) await release();
      await store.close();
      await other.stop();
    }
  });

  it('given another command on the keystore remembered, meanwhile, an event not of the log tail verified, then tail\'s save says so and keeps it, rather than dropping one of the two', async () => {
    const tail = parleyBackground(['tail', '--last', '0', '--count', '1', '--json'], env('ru.lead'));
    while (!tail.stderr().includes('parley: following channel')) {
      if (tail.child.exitCode !== null) throw new Error(`tail exited with ${await tail.exited}: ${tail.stderr()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const head = await headSeq();
    // What a command served another history would have saved: an event past tail's view, at seq head + 2.
    const other = readKeystoreFile(ks('ru.lead'), PASS);
    const honest = other.keys.seen![channel];
    other.keys.seen = { ...other.keys.seen, [channel]: { seq: head + 2, hash: 'f'.repeat(64) } };
    await saveKeystore(ks('ru.lead'), other.keys, PASS, { version: other.version, scryptN: 1024 });
    try {
      await ok('us.envoy', ['message', 'Seen by tail', '--to', 'ru']);
      await ok('ua.lead', ['message', 'After it']);
      expect({ code: await tail.exited, stderr: tail.stderr() }).toEqual({
        code: 0,
        // Whether the log holds seq head + 2 yet when tail reads on (the next message may be late): another event there, or none.
        stderr: expect.stringMatching(
          new RegExp(
            `another command on this keystore remembered seq ${head + 2} of channel ${channel} as f{12}… \\(kept\\), ` +
              `(which the log this command verified \\(to seq ${head + 1}, .*\\) does not hold: the server served two different histories` +
              `|but the log this command verified \\(to seq ${head + 1}, .*\\), read on, ends before it: the server cut the channel's log)`,
          ),
        ),
      });
      expect(readKeystore(ks('ru.lead'), PASS).seen?.[channel]).toEqual({ seq: head + 2, hash: 'f'.repeat(64) });
    } finally {
      // Put back what ru.lead really verified, for the tests that follow.
      const now = readKeystoreFile(ks('ru.lead'), PASS);
      now.keys.seen = { ...now.keys.seen, [channel]: { seq: head + 2, hash: (await probeHash(head + 2)) ?? honest.hash } };
      await saveKeystore(ks('ru.lead'), now.keys, PASS, { version: now.version, scryptN: 1024 });
    }
  });

  it('tail refuses a stream that shows another event at a seq it verified: the server is showing two histories', async () => {
    await probe.sync();
    const forged = { ...probe.view.entries[1].envelope, at: '2020-01-01T00:00:00.000Z' };
    // The real server behind, but the live stream replays seq 1 altered.
    const liar = createServer((req, res) => {
      if (req.url!.includes('/stream')) {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write(`id: 1\nevent: envelope\ndata: ${canonical(forged)}\n\n`);
        return;
      }
      const headers = Object.fromEntries(['accept', 'signature', 'signature-input'].filter((h) => req.headers[h]).map((h) => [h, String(req.headers[h])]));
      void fetch(server.url + req.url, { headers }).then(async (upstream) => {
        res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/json' });
        res.end(Buffer.from(await upstream.arrayBuffer()));
      });
    });
    await new Promise<void>((r) => liar.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(liar.address() as AddressInfo).port}`;
      const tail = await parley(['tail', '--last', '0'], env('ru.lead', { PARLEY_SERVER: url }));
      expect({ code: tail.code, stderr: tail.stderr }).toEqual({ code: 1, stderr: expect.stringMatching(/^parley: prev_mismatch: .*differs at seq 1 /m) });
    } finally {
      liar.closeAllConnections();
      liar.close();
    }
  });

  it('two clients racing on one channel both land: stale heads are re-read and re-signed', async () => {
    const before = await headSeq();
    const results = await Promise.all([
      ok('ua.lead', ['message', 'race ua 1']),
      ok('ru.lead', ['message', 'race ru 1']),
      ok('us.envoy', ['message', 'race us 1']),
      ok('ua.lead', ['message', 'race ua 2']),
    ]);
    expect(results.map((r) => r.seq).sort((a, b) => a - b)).toEqual([before + 1, before + 2, before + 3, before + 4]);
    expect(await headSeq()).toBe(before + 4);

    // Whether those four collided is up to the scheduler. Here a collision is certain: a rival
    // appends after the command has read the head and before its append arrives.
    const proxy = new FaultProxy();
    await proxy.start(server.url);
    try {
      proxy.rivalBefore('POST /v1/channels/', async () => {
        await probe.submit(() => draft('MessagePosted', { audience: ['ru', 'ua', 'us'] }, { text: 'rival' }));
      });
      const lost = await parley(['message', 'lost the race', '--json'], env('ua.lead', { PARLEY_SERVER: proxy.url }));
      expect(proxy.held).toBe(1);
      expect(lost.code).toBe(0);
      expect(lost.json).toMatchObject({ ok: true, type: 'MessagePosted', seq: before + 6, attempts: 2 });
      proxy.rivalBefore('POST /v1/channels/', async () => {
        await probe.submit(() => draft('MessagePosted', { audience: ['ru', 'ua', 'us'] }, { text: 'rival again' }));
      });
      const human = await parley(['message', 'lost again'], env('ru.lead', { PARLEY_SERVER: proxy.url }));
      expect(human.stdout).toContain(`appended at seq ${before + 8}`);
      expect(human.stdout).toContain('the head had moved: re-signed 1 time(s)');
    } finally {
      await proxy.stop();
    }
    await probe.sync();
    const texts = probe.view.entries.slice(before + 5).map((e) => e.content?.text);
    expect(texts).toEqual(['rival', 'lost the race', 'rival again', 'lost again']);
  });

  it('export writes the log exactly as stored, and it verifies offline', async () => {
    const out = join(dir, 'export.ndjson');
    const r = await parley(['export', '--out', out], env('icrc.audit'));
    expect(r.code).toBe(0);
    const report = verifyLog(readFileSync(out, 'utf8'));
    expect(report).toMatchObject({ ok: true, events: (await headSeq()) + 1 });
    const stdout = await parley(['export'], env('us.envoy'));
    expect(stdout.stdout).toBe(readFileSync(out, 'utf8'));
    const all = await parley(['export', '--all'], env('global.audit', { PARLEY_CHANNEL: '' }));
    expect(all.code).toBe(0);
    // In global order: this channel's lines are its export (the other channel on this server is the opener test's).
    const ofChannel = all.stdout.split('\n').filter((line) => line.includes(`"channel":"${channel}"`));
    expect(ofChannel.join('\n') + '\n').toBe(stdout.stdout);
    expect(all.stdout.trim().split('\n').length).toBeGreaterThan(ofChannel.length);
    const refused = await parley(['export', '--all'], env('us.envoy'));
    expect(refused.code).toBe(1);
  });

  it('a revoked key is refused; a rotated key takes over with a new encrypted keystore', async () => {
    await ok('ru.lead', ['revoke', 'ru.deputy', '--note', 'Left.']);
    const refused = await parley(['message', 'still here?'], env('ru.deputy'));
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^parley: not_found: /);

    const foreign = await parley(['revoke', 'ua.lead', '--replacement', 'ua.other'], env('ru.lead'));
    expect(foreign.code).toBe(1);
    expect(foreign.stderr).toMatch(/^parley: forbidden: /);
    expect(existsSync(ks('ua.other'))).toBe(false); // refused: the unused new keys are not kept

    // The new keystore goes beside the old one by default.
    const rotated = await ok('ua.lead', ['revoke', 'ua.lead', '--replacement', 'ua.lead2']);
    expect(rotated).toMatchObject({ type: 'ParticipantRevoked', replacement: 'ua.lead2' });
    expect(statSync(ks('ua.lead2')).mode & 0o777).toBe(0o600);
    // The new keys remember the head the rotation was signed on: their first read is held to it, not trusted.
    await probe.sync();
    const before = probe.view.entries[rotated.seq - 1];
    expect(readKeystore(ks('ua.lead2'), PASS).seen).toEqual({ [channel]: { seq: before.seq, hash: before.hash } });
    const s2 = await ok('ua.lead2', ['status']);
    expect(s2.participants.find((p: { id: string }) => p.id === 'ua.lead')).toMatchObject({ status: 'revoked', replacedBy: 'ua.lead2' });
    expect(s2.requests.find((r: { id: string }) => r.id === r3).person).toBeNull(); // from before its admission
    await ok('ua.lead2', ['share', r3, '--kind', 'location', '--text', 'City X']);
    const old = await parley(['status'], env('ua.lead'));
    expect(old.code).toBe(1);
    expect(old.stderr).toContain('not_found');
    // The listings leave the channel out, and say so: the server answers a withheld channel the same way.
    // A channel only recorded for (not opened, or the key not admitted yet) is said apart: no alarm.
    const pending = randomUUID();
    await ok('ua.lead', ['whoami', '--record', pending]);
    for (const listing of ['requests', 'reunifications']) {
      const listed = await parley([listing, '--json'], env('ua.lead'));
      expect({ code: listed.code, json: listed.json }).toEqual({ code: 0, json: { items: [], refused: [channel], notYetReadable: [pending] } });
      const said = await parley([listing], env('ua.lead'));
      expect(said.stderr).toMatch(new RegExp(`^parley: warning: the server refuses this key the log of 1 joined channel\\(s\\) it read before \\(404\\).*\\(${channel}\\)$`, 'm'));
      expect(said.stderr).toMatch(new RegExp(`^parley: 1 joined channel\\(s\\) not listed: not opened yet, or this key not admitted yet .*\\(${pending}\\)$`, 'm'));
    }
  });

  it('remembers the last event it verified, and refuses a log that forks from it or ends before it', async () => {
    await status('ru.lead');
    await probe.sync();
    const last = probe.view.entries.at(-1)!;
    const keys = readKeystore(ks('ru.lead'), PASS);
    expect(keys.seen?.[channel]).toEqual({ seq: last.seq, hash: last.hash });
    // As if a server had shown this keystore another log before: so the one served now differs.
    const shownBefore = async (name: string, seen: { seq: number; hash: string }) => {
      writeKeystore(ks(name), { ...keys, seen: { [channel]: seen } }, PASS, { overwrite: false, scryptN: 1024 });
      return parley(['status'], env(name));
    };
    const forked = await shownBefore('ru.forked', { seq: last.seq - 1, hash: 'f'.repeat(64) });
    expect(forked.code).toBe(1);
    expect(forked.stderr).toMatch(/^parley: prev_mismatch: .*differs at seq \d+ .*forked/m);
    const cut = await shownBefore('ru.cut', { seq: last.seq + 3, hash: last.hash });
    expect(cut.code).toBe(1);
    expect(cut.stderr).toMatch(/^parley: seq_gap: the channel log does not verify at seq \d+: the server's log ends before seq \d+.*parley status --accept-restore/m);
    // parley audit holds the server to the same remembered event.
    const auditAs = (name: string) => parley(['audit', '--server', server.url, '--channel', channel, '--keystore', ks(name), '--json'], env(name));
    // A verdict on the log like any other: in the report (signed with --sign), exit 1.
    const remembered = (code: string, seq: number) => ({ code: 1, json: { ok: false, violations: [{ channel, seq, code, message: expect.stringMatching(/this keystore verified earlier/) }] } });
    expect(await auditAs('ru.forked')).toMatchObject(remembered('prev_mismatch', last.seq - 1));
    expect(await auditAs('ru.cut')).toMatchObject(remembered('seq_gap', last.seq + 3));
    expect(await auditAs('ru.lead')).toMatchObject({ code: 0, json: { ok: true, violations: [] } });
    // So does parley export, and it leaves no file behind that could pass for the channel's log.
    for (const [name, code] of [['ru.forked', 'prev_mismatch'], ['ru.cut', 'seq_gap']]) {
      const out = join(dir, `${name}.ndjson`);
      const exported = await parley(['export', '--out', out], env(name));
      expect(exported.code).toBe(1);
      expect(exported.stderr).toMatch(new RegExp(`^parley: ${code}: `, 'm'));
      expect(existsSync(out)).toBe(false);
    }
    // A server that serves the remembered event alone, as if it were the whole log, is not believed.
    const alone = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      res.end(canonical(probe.view.entries[last.seq].envelope) + '\n');
    });
    await new Promise<void>((r) => alone.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(alone.address() as AddressInfo).port}`;
      const cutShort = await parley(['export', '--out', join(dir, 'alone.ndjson')], env('ru.lead', { PARLEY_SERVER: url }));
      expect({ code: cutShort.code, stderr: cutShort.stderr }).toEqual({ code: 1, stderr: expect.stringMatching(/^parley: seq_gap: .*ends before seq/m) });
    } finally {
      alone.close();
    }
    // A line that is not strict JSON (a store written past the service) is exported as served, said,
    // and left for the auditor to report: refusing the export would hide the evidence from the audit.
    const broken = 2;
    const withDuplicateKey = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      res.end(probe.view.entries.map((e) => (e.seq === broken ? canonical(e.envelope).replace('{', '{"v":1,') : canonical(e.envelope)) + '\n').join(''));
    });
    await new Promise<void>((r) => withDuplicateKey.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(withDuplicateKey.address() as AddressInfo).port}`;
      const out = join(dir, 'duplicate-key.ndjson');
      const exported = await parley(['export', '--out', out], env('ru.lead', { PARLEY_SERVER: url }));
      expect({ code: exported.code, stderr: exported.stderr }).toEqual({
        code: 0,
        stderr: `parley: warning: line ${broken + 1}: the server sent a line that is not strict JSON: duplicate key "v" at offset ${canonical(probe.view.entries[broken].envelope).lastIndexOf('"v":') + '"v":1,'.length}; written as served, for the audit\nexported ${last.seq} events and 1 line that is none to ${out}\n`,
      });
      expect(readFileSync(out, 'utf8').split('\n')[broken]).toMatch(/^\{"v":1,/);
      const audited = await parley(['audit', '--file', out, '--json'], env('ru.lead'));
      // The line names no channel or seq the auditor can trust; the channel's next line then leaves a gap where it stood.
      expect(audited).toMatchObject({
        code: 1,
        json: { ok: false, violations: [{ channel: null, seq: null, code: 'malformed' }, { channel, seq: broken + 1, code: 'seq_gap' }] },
      });
    } finally {
      withDuplicateKey.close();
    }
    // With --all, a global auditor's audit and export hold every channel its keystore remembers an event of.
    const auditor = readKeystore(ks('global.audit'), PASS);
    const global = (name: string, seen: { seq: number; hash: string }) =>
      writeKeystore(ks(name), { ...auditor, seen: { [channel]: seen } }, PASS, { overwrite: false, scryptN: 1024 });
    global('global.forked', { seq: last.seq - 1, hash: 'f'.repeat(64) });
    global('global.cut', { seq: last.seq + 3, hash: last.hash });
    global('global.seen', { seq: last.seq, hash: last.hash });
    const auditAll = (name: string) => parley(['audit', '--server', server.url, '--all', '--keystore', ks(name), '--json'], env(name, { PARLEY_CHANNEL: '' }));
    expect(await auditAll('global.forked')).toMatchObject(remembered('prev_mismatch', last.seq - 1));
    expect(await auditAll('global.cut')).toMatchObject(remembered('seq_gap', last.seq + 3));
    expect(await auditAll('global.seen')).toMatchObject({ code: 0, json: { ok: true, violations: [] } });
    // A channel this keystore saw on another server is said, not held against this one.
    writeKeystore(ks('global.elsewhere'), { ...auditor, seen: { [randomUUID()]: { seq: 3, hash: 'a'.repeat(64) } } }, PASS, { overwrite: false, scryptN: 1024 });
    const elsewhere = await auditAll('global.elsewhere');
    expect(elsewhere).toMatchObject({ code: 0, json: { ok: true } });
    expect(elsewhere.stderr).toMatch(/^parley: warning: channel [0-9a-f-]{36}, which this keystore verified earlier, is not in this log/m);
    const exportedElsewhere = await parley(['export', '--all', '--out', join(dir, 'elsewhere.ndjson')], env('global.elsewhere', { PARLEY_CHANNEL: '' }));
    expect(exportedElsewhere.code).toBe(0);
    expect(exportedElsewhere.stderr).toMatch(/is not in this export/);
    for (const [name, code] of [['global.forked', 'prev_mismatch'], ['global.cut', 'seq_gap']]) {
      const out = join(dir, `${name}.ndjson`);
      const exported = await parley(['export', '--all', '--out', out], env(name, { PARLEY_CHANNEL: '' }));
      expect(exported.code).toBe(1);
      expect(exported.stderr).toMatch(new RegExp(`^parley: ${code}: .*channel ${channel}`, 'm'));
      expect(existsSync(out)).toBe(false);
    }
    expect((await parley(['export', '--all', '--out', join(dir, 'seen.ndjson')], env('global.seen', { PARLEY_CHANNEL: '' }))).code).toBe(0);
    // Told the server was restored from a backup, its user accepts the log as it is, once.
    const accepted = await parley(['status', '--accept-restore', '--json'], env('ru.cut'));
    expect(accepted.code).toBe(0);
    expect(accepted.stderr).toMatch(new RegExp(`^parley: warning: accepted the server's log .*seq ${last.seq + 3} .*must be sent again`));
    expect(JSON.parse(accepted.stdout).restoreAccepted).toEqual({ seq: last.seq + 3, hash: last.hash });
    expect(readKeystore(ks('ru.cut'), PASS)).toMatchObject({ seen: { [channel]: { seq: last.seq, hash: last.hash } }, restores: { [channel]: 1 } });
    expect(await parley(['status'], env('ru.cut'))).toMatchObject({ code: 0, stderr: '' });
    // Nothing changed for the keystore that saw the real log.
    expect((await parley(['status'], env('ru.lead'))).code).toBe(0);
    // Re-sealing to remember what it saw never lowers the keystore's scrypt cost (tests set 1024).
    writeKeystore(ks('ru.costly'), { ...keys, seen: {} }, PASS, { overwrite: false, scryptN: 2048 });
    expect((await parley(['status'], env('ru.costly'))).code).toBe(0);
    const costly = readKeystoreFile(ks('ru.costly'), PASS);
    expect(costly.keys.seen?.[channel]).toEqual({ seq: last.seq, hash: last.hash });
    expect(costly.scryptN).toBe(2048);
  });

  it('usage errors exit 2, an unreachable server exits 3', async () => {
    const nobody = await parley(['request', '--holder', 'ua'], env('ru.lead'));
    expect({ code: nobody.code, stderr: nobody.stderr }).toEqual({ code: 2, stderr: expect.stringMatching(/^parley: usage: say whom the request is for/) });
    const noKind = await parley(['share', r3, '--text', 'x'], env('ru.lead'));
    expect(noKind.code).toBe(2);
    expect(noKind.stderr).toMatch(/^parley: usage: required option '--kind <kind>' not specified\n/);
    const noKindJson = await parley(['share', r3, '--text', 'x', '--json'], env('ru.lead'));
    expect({ code: noKindJson.code, out: JSON.parse(noKindJson.stdout) }).toEqual({
      code: 2,
      out: { ok: false, error: 'usage', message: "required option '--kind <kind>' not specified" },
    });
    const noScheme = await parley(['status', '--json'], env('ru.lead', { PARLEY_SERVER: '127.0.0.1:3000' }));
    expect({ code: noScheme.code, out: JSON.parse(noScheme.stdout) }).toEqual({
      code: 2,
      out: { ok: false, error: 'usage', message: expect.stringContaining('must be an http:// or https:// URL') },
    });
    const twoSources = await parley(['audit', '--file', join(dir, 'none.ndjson'), '--channel', channel], env('ru.lead'));
    expect({ code: twoSources.code, stderr: twoSources.stderr }).toEqual({ code: 2, stderr: expect.stringMatching(/^parley: usage: give --file, or --channel or --all, not both/) });
    const down = await parley(['status'], env('ru.lead', { PARLEY_SERVER: 'http://127.0.0.1:9' }));
    expect(down.code).toBe(3);
    expect(down.stderr).toContain('unreachable');
    const withQuery = await parley(['status'], env('ru.lead', { PARLEY_SERVER: `${server.url}?x=1` }));
    expect({ code: withQuery.code, stderr: withQuery.stderr }).toEqual({ code: 2, stderr: expect.stringMatching(/must hold no query, fragment or credentials/) });
    writeFileSync(join(dir, 'taken.ndjson'), 'evidence\n');
    const taken = await parley(['export', '--out', join(dir, 'taken.ndjson')], env('ru.lead'));
    expect({ code: taken.code, stderr: taken.stderr }).toEqual({ code: 2, stderr: expect.stringMatching(/^parley: usage: --out .*taken\.ndjson exists already: export never overwrites a file/) });
    expect(readFileSync(join(dir, 'taken.ndjson'), 'utf8')).toBe('evidence\n');
    const nowhere = await parley(['keygen', '--keystore', join(dir, 'no', 'such', 'k.keystore'), '--id', 'ua.x', '--party', 'ua'], { PARLEY_PASSPHRASE: PASS, PARLEY_KEYSTORE_SCRYPT_N: '1024' });
    expect({ code: nowhere.code, stderr: nowhere.stderr }).toEqual({ code: 2, stderr: expect.stringMatching(/^parley: keystore: cannot write .*k\.keystore: no directory /) });
    expect(nowhere.stderr).not.toMatch(/\.tmp/);
    const badId = await parley(['keygen', '--keystore', join(dir, 'never.keystore'), '--id', 'bad id!', '--party', 'ua'], {});
    expect(badId.code).toBe(2);
    expect(badId.stderr).toMatch(/^parley: usage: option '--id <participant>' argument 'bad id!' is invalid/);
    expect(existsSync(join(dir, 'never.keystore'))).toBe(false);
    const version = await parley(['--version'], {});
    expect({ code: version.code, stdout: version.stdout.trim() }).toEqual({ code: 0, stdout: (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version });
    const help = await parley(['--help'], {});
    expect({ code: help.code, stderr: help.stderr }).toEqual({ code: 0, stderr: '' });
    expect(help.stdout).toContain('Exit codes:');
  });

  it('the demo drives this server through a whole negotiation and exits 0 with a clean audit', async () => {
    const demo = parleyBackground([], {}, ['dist/src/demo/demo.js', '--server', server.url]);
    expect(await demo.exited).toBe(0);
    const out = demo.stdout();
    expect(out).toMatch(/notary +agrees the transfer → TransferAgreed/);
    expect(out).toMatch(/\(revoked key\) is refused by the server: 404 not_found/);
    expect(out).toMatch(/offline verifier \(icrc\.audit, opening every body\): OK — 24 events/);
    expect(out).toMatch(/server's audit \(GET \/v1\/channels\/…\/audit\): OK — 24 events, head [0-9a-f]{64} \(agrees\)/);
    expect(out).toContain('Done: 2 reunifications completed');
    const down = parleyBackground([], {}, ['dist/src/demo/demo.js', '--server', 'http://127.0.0.1:9']);
    expect(await down.exited).toBe(3);
  });

  // Last: it opens a second channel, and the export test above counts on one.
  it('refuses a back channel that an auditor of a side left out would read (auditorsRead), unless --allow-auditors', async () => {
    // The opener lists ru's own auditor, as 1.4 allows any party to have one.
    await ok('ru.eyes', ['keygen', '--id', 'ru.eyes', '--party', 'ru', '--role', 'auditor']);
    const other = (await parley(['channel', 'new-id'], {})).stdout.trim();
    const file = join(dir, 'auditors-read.json');
    await writeChannelFile(file, other, ['ru.lead', 'us.envoy', 'ru.eyes'], {
      title: 'Auditors read',
      mandate: 'test',
      parties: [
        { id: 'ru', kind: 'side' },
        { id: 'ua', kind: 'side' },
        { id: 'us', kind: 'mediator' },
      ],
      policy: { quorum: 'sides', auditorsRead: true },
    });
    await ok('ua.lead', ['channel', 'open', '--file', file]);
    const refused = await parley(['message', 'For ua only', '--to', 'ua', '--channel', other], env('us.envoy'));
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/not sent: ru\.eyes \(an auditor of ru\) would read this message too.*--allow-auditors/s);
    expect((await probe.http.head(other)).seq).toBe(1); // nothing was appended
    const sent = await ok('us.envoy', ['message', 'For ua only', '--to', 'ua', '--channel', other, '--allow-auditors']);
    expect(sent).toMatchObject({ ok: true, type: 'MessagePosted', seq: 1 });
    // To everyone, nobody reads it who is not in the audience: no question asked.
    expect(await ok('us.envoy', ['message', 'To all', '--channel', other])).toMatchObject({ ok: true, seq: 2 });
    // ua's opener put ru's auditor in the channel: ru is told to compare its safety number.
    const ru = await parley(['status', '--channel', other], env('ru.lead'));
    expect(ru.code).toBe(0);
    // Its first reading of the channel says on what terms it was opened: its own record named the channel only.
    expect(ru.stderr).toMatch(
      /^parley: note: first reading of channel [0-9a-f-]{36}, opened by ua\.lead: parties ru \(side\), ua \(side\), us \(mediator\); quorum sides; auditors read every body \(auditorsRead\): ru\.eyes of ru\. Your participant record named the channel only, not these terms: if they are not what the parties agreed, act in it no further and tell the others\.$/m,
    );
    expect(ru.stderr).toMatch(/^parley: note: ru\.eyes \(auditor of your party ru\) was put in this channel by ua\.lead of another party: compare its safety number \(([0-9a-f]{4} ){15}[0-9a-f]{4}\)/m);
    expect(ru.stdout).toMatch(/ru\.eyes +ru +auditor +active +ua\.lead/);
    expect((await parley(['status', '--channel', other], env('ru.lead'))).stderr).not.toMatch(/first reading/);
    // Its own party's view of itself raises nothing.
    expect((await parley(['status', '--channel', other], env('ua.lead'))).stderr).toBe('');
  });
  it('keeps the new keys of a rotation the server stored but answered with a refusal, and remembers its own appends', async () => {
    const other = JSON.parse(readFileSync(join(dir, 'auditors-read.json'), 'utf8')).channel as string;
    const proxy = new FaultProxy();
    await proxy.start(server.url);
    try {
      proxy.replaceNextAnswer('POST /v1/channels/', 422, { error: 'forbidden', message: 'refused, says the server', seq: 3 });
      const lied = await parley(['revoke', 'us.envoy', '--replacement', 'us.envoy2', '--channel', other], env('us.envoy', { PARLEY_SERVER: proxy.url }));
      expect(proxy.replaced).toBe(1);
      expect(lied.code).toBe(1);
      expect(lied.stderr).toMatch(/new keys stay in .*us\.envoy2\.keystore/);
    } finally {
      await proxy.stop();
    }
    // It was stored: the kept keys are the party's only active key in that channel now.
    expect(existsSync(ks('us.envoy2'))).toBe(true);
    const now = await ok('us.envoy2', ['status', '--channel', other]);
    expect(now.participants.find((p: { id: string }) => p.id === 'us.envoy')).toMatchObject({ status: 'revoked', replacedBy: 'us.envoy2' });
    // Its own append is remembered at once: a server that later drops it is caught.
    const sent = await ok('us.envoy2', ['message', 'after the rotation', '--channel', other]);
    const keys = readKeystore(ks('us.envoy2'), PASS);
    expect(keys.seen?.[other]).toEqual({ seq: sent.seq, hash: sent.hash });
  });

  it("warns of a body addressed to you that does not open, goes on, and refuses to accept terms it could not read", async () => {
    const other = JSON.parse(readFileSync(join(dir, 'auditors-read.json'), 'utf8')).channel as string;
    const { request } = await ok('ua.lead', ['request', '--holder', 'ru', '--name', 'Child Two', '--channel', other]);
    // The mediator seals a proposal with a garbage key entry for ru.lead: the server cannot tell.
    const mediator = readKeystore(ks('us.envoy2'), PASS);
    const session = new ChannelSession(new ParleyHttpClient({ server: server.url, keys: mediator.identity }), mediator, other);
    await session.sync();
    const sealed = buildEnvelope(session.view.state, mediator, draft('ProposalSubmitted', { proposal: randomUUID(), requests: [request] }, { terms: 'as you read it', handover: {} }));
    const keys = sealed.body!.keys.map((k) => (k.to === 'ru.lead' ? { ...k, key: sealed.body!.keys.find((o) => o.to !== 'ru.lead')!.key } : k));
    const { sig: _sig, ...unsigned } = { ...sealed, body: { ...sealed.body!, keys } };
    const forged = signEnvelope(unsigned, ed25519Signer(b64uDecode(mediator.signSeed, 32)!));
    expect((await session.http.append(forged)).status).toBe(201);
    const warned = await parley(['status', '--channel', other], env('ru.lead'));
    expect(warned.code).toBe(0);
    expect(warned.stderr).toMatch(new RegExp(`^parley: warning: seq ${forged.seq} \\(ProposalSubmitted from us\\.envoy2\\) is addressed to you but does not open \\(the content key does not open\\)`, 'm'));
    const blind = await parley(['accept', forged.meta.proposal, '--channel', other], env('ru.lead'));
    expect(blind.code).toBe(2);
    expect(blind.stderr).toMatch(/terms are addressed to you but do not open .*Accepting terms you cannot read is refused/);
    // It can still answer: a rejection needs no reading.
    expect(await ok('ru.lead', ['reject', forged.meta.proposal, '--reason', 'unreadable', '--channel', other])).toMatchObject({ ok: true, type: 'ProposalRejected' });
    // Whoever could open it is told nothing.
    expect((await parley(['status', '--channel', other], env('ua.lead'))).stderr).toBe('');
  });

  it('on a terminal, a command reading a long channel says how many events it has verified, then clears the line', async () => {
    // The last test: the channel grows by SYNC_PROGRESS_EVERY messages.
    for (let i = 0; i < SYNC_PROGRESS_EVERY; i++) await probe.submit(() => draft('MessagePosted', { audience: ['us'] }, { text: `note ${i}` }));
    const run = await parleyInTerminal(['status'], env('ru.lead', { PARLEY_PROGRESS_DELAY_MS: '0' }), []);
    if (run.code !== 0) throw new Error(`status exited ${run.code}: ${run.screen}`);
    const said = run.screen.indexOf(`parley: verifying channel ${channel}: ${SYNC_PROGRESS_EVERY} events…`);
    expect(said).toBeGreaterThan(0);
    expect(run.screen.indexOf('\r\u001b[2K', said)).toBeGreaterThan(said); // cleared before the answer
    // Not on a terminal: nothing of it.
    expect((await parley(['status'], env('ru.lead', { PARLEY_PROGRESS_DELAY_MS: '0' }))).stderr).toBe('');
  });
});
