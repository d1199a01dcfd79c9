/**
 * `npm run demo`: drives a running Parley service (it starts none) through a complete
 * negotiation — the flow of the vector log valid-negotiation.ndjson — between two sides
 * (ua, ru), a mediator (us) and an auditor (icrc), with the client SDK: each actor holds
 * its own encrypted keystore (in a temporary directory) and its own verified, decrypted
 * view of the channel. Prints each side's view and the audit verdict; exit 0 on success.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { ChannelState, EventType, generateIdentity, makeParticipant, Participant, Role, safetyNumber, verifyLog } from '../protocol';
import {
  ApiError,
  ChannelSession,
  Draft,
  Keys,
  ParleyHttpClient,
  ServerUnreachableError,
  summarizeChannel,
} from '../client';
import { readKeystore, writeKeystore } from '../client/keystore-file';
import { describeFailure, EXIT } from '../cli/support/cli-errors';
import { statusTables } from '../cli/support/status-tables';
import { printable } from '../cli/support/output';
import { serverOption } from '../cli/support/cli-context';

class DemoFailure extends Error {}

interface Actor {
  keys: Keys;
  session: ChannelSession;
}

class Demo {
  private readonly dir = mkdtempSync(join(tmpdir(), 'parley-demo-'));
  private readonly passphrase = randomBytes(18).toString('base64url');
  private readonly channel = randomUUID();
  private readonly actors = new Map<string, Actor>();
  private step = 0;

  constructor(
    private readonly server: string,
    private readonly notaryTimeoutMs: number,
  ) {}

  private say(text: string): void {
    process.stdout.write(`[${String(++this.step).padStart(2)}] ${text}\n`);
  }

  /** Generates keys into an encrypted keystore, then loads them back from the file, as a client would. */
  private keystore(id: string, party: string, role: Role): Keys {
    const path = join(this.dir, `${id}.keystore`);
    const { signSeed, boxSecret } = generateIdentity();
    writeKeystore(path, { id, party, role, signSeed, boxSecret, channels: [this.channel] }, this.passphrase, { overwrite: false });
    return readKeystore(path, this.passphrase);
  }

  private actor(keys: Keys): Actor {
    const http = new ParleyHttpClient({ server: this.server, keys: keys.identity });
    const actor = { keys, session: new ChannelSession(http, keys, this.channel) };
    this.actors.set(keys.id, actor);
    return actor;
  }

  private record(keys: Keys): Participant {
    return makeParticipant(this.channel, keys.identity, { id: keys.id, party: keys.party, role: keys.role });
  }

  private async act<T extends EventType>(who: string, what: string, make: (state: ChannelState) => Draft<T>): Promise<{ seq: number; hash: string }> {
    const a = this.actors.get(who)!;
    const done = await a.session.submit(make);
    this.say(`${who.padEnd(10)} ${what} → ${done.envelope.type} at seq ${done.seq}${done.attempts > 1 ? ` (re-signed ${done.attempts - 1}×)` : ''}`);
    return done;
  }

  async run(): Promise<void> {
    process.stdout.write(`Parley demo against ${this.server}; keys in ${this.dir} (encrypted)\n\n`);
    const notary = await new ParleyHttpClient({ server: this.server }).notary();
    this.say(`the server's notary key: ${notary.signKey}`);

    const ua = this.actor(this.keystore('ua.lead', 'ua', 'negotiator'));
    const ru = this.actor(this.keystore('ru.lead', 'ru', 'negotiator'));
    const us = this.actor(this.keystore('us.envoy', 'us', 'negotiator'));
    const icrc = this.actor(this.keystore('icrc.audit', 'icrc', 'auditor'));
    for (const a of [ua, ru, us, icrc]) this.say(`${a.keys.id.padEnd(10)} keys made; safety number ${safetyNumber(a.keys.fingerprint).slice(0, 24)}…`);

    const parties = [
      { id: 'icrc', kind: 'observer' as const },
      { id: 'ru', kind: 'side' as const },
      { id: 'ua', kind: 'side' as const },
      { id: 'us', kind: 'mediator' as const },
    ];
    const participants = [ua, ru, us, icrc].map((a) => this.record(a.keys));
    const opened = await ua.session.open({
      type: 'ChannelOpened',
      meta: { parties, participants, notary: { signKey: notary.signKey }, policy: { quorum: 'sides', auditorsRead: true } },
      content: { title: 'Return of children', mandate: 'Channel for the safe return of displaced children to their families.' },
    });
    this.say(`${'ua.lead'.padEnd(10)} opens channel ${this.channel} → ChannelOpened at seq ${opened.seq}`);

    const r1 = randomUUID();
    const r2 = randomUUID();
    const r3 = randomUUID();
    const person = (fullName: string, dateOfBirth: string, contactName: string, relation: string, notes = '') => ({
      person: { fullName, dateOfBirth },
      family: { contactName, relation },
      notes,
    });
    await this.act('ua.lead', 'asks for Child One (minor)', () => ({ type: 'ReunificationRequested', meta: { request: r1, category: 'minor', holder: 'ru' }, content: person('Child One', '2015-03-02', 'Parent One', 'mother') }));
    await this.act('ua.lead', 'asks for Person Two (adult, displaced at 16)', () => ({
      type: 'ReunificationRequested',
      meta: { request: r2, category: 'adult-displaced-as-minor', holder: 'ru' },
      content: person('Person Two', '2006-07-19', 'Parent Two', 'father', 'displaced at 16'),
    }));
    await this.act('ua.lead', 'asks for Child Three (minor)', () => ({ type: 'ReunificationRequested', meta: { request: r3, category: 'minor', holder: 'ru' }, content: person('Child Three', '2017-11-30', 'Grandmother Three', 'grandmother') }));
    await this.act('ru.lead', 'shares health information on Child One', () => ({ type: 'RequestInformationShared', meta: { request: r1, kind: 'health' }, content: { text: 'Vaccinations up to date; asthma, inhaler supplied.' } }));
    await this.act('us.envoy', 'writes to ru only (a back channel)', () => ({ type: 'MessagePosted', meta: { audience: ['ru', 'us'] }, content: { text: 'Back channel: can we discuss the first two cases this week?' } }));

    const p1 = randomUUID();
    const p2 = randomUUID();
    const p3 = randomUUID();
    const hashOf = (s: ChannelState, p: string) => s.proposals.get(p)!.submitted.hash;
    await this.act('us.envoy', 'proposes both persons at Crossing A', () => ({
      type: 'ProposalSubmitted',
      meta: { proposal: p1, requests: [r1, r2].sort() },
      content: { terms: 'Handover of two persons at the border crossing.', handover: { location: 'Crossing A', window: { from: '2026-10-20', to: '2026-10-22' } } },
    }));
    await this.act('ru.lead', 'counter-proposes one person first', () => ({
      type: 'ProposalSubmitted',
      meta: { proposal: p2, requests: [r1], supersedes: p1 },
      content: { terms: 'One person first.', handover: { location: 'Crossing A', window: { from: '2026-10-21', to: '2026-10-21' } } },
    }));
    await this.act('ua.lead', 'rejects the counter-proposal', (s) => ({ type: 'ProposalRejected', meta: { proposal: p2, proposalHash: hashOf(s, p2) }, content: { reason: 'Both together, please.' } }));
    await this.act('us.envoy', 'proposes both, escorted, at Crossing B', () => ({
      type: 'ProposalSubmitted',
      meta: { proposal: p3, requests: [r1, r2].sort() },
      content: { terms: 'Both persons, escorted by the mediator.', handover: { location: 'Crossing B', window: { from: '2026-10-24', to: '2026-10-25' } } },
    }));
    await this.act('ua.lead', 'accepts', (s) => ({ type: 'ProposalAccepted', meta: { proposal: p3, proposalHash: hashOf(s, p3) }, content: null }));

    const deputyKeys = this.keystore('ru.deputy', 'ru', 'negotiator');
    await this.act('ru.lead', 'admits a deputy, ru.deputy', () => ({ type: 'ParticipantAdmitted', meta: { participant: this.record(deputyKeys) }, content: { note: 'Deputy joins.' } }));
    this.actor(deputyKeys);
    await this.act('ru.deputy', 'accepts for ru', (s) => ({ type: 'ProposalAccepted', meta: { proposal: p3, proposalHash: hashOf(s, p3) }, content: null }));

    const agreed = await ua.session.waitFor((s) => s.proposals.get(p3)?.status === 'agreed', { timeoutMs: this.notaryTimeoutMs });
    if (!agreed) {
      throw new DemoFailure(`no TransferAgreed within ${this.notaryTimeoutMs / 1000} s after both sides accepted: the server's notary saga is not appending (is it running?)`);
    }
    const transfer = ua.session.state.proposals.get(p3)!.agreed!;
    this.say(`${'notary'.padEnd(10)} agrees the transfer → TransferAgreed at seq ${transfer.seq}, citing ${transfer.acceptances.length} acceptances`);

    await this.act('ru.lead', 'releases Child One', () => ({ type: 'HandoverConfirmed', meta: { proposal: p3, request: r1, step: 'released' }, content: { note: 'Released 10:05' } }));
    await this.act('ua.lead', 'receives Child One', () => ({ type: 'HandoverConfirmed', meta: { proposal: p3, request: r1, step: 'received' }, content: null }));
    await this.act('ua.lead', 'records Child One reunited', () => ({ type: 'ReunificationCompleted', meta: { request: r1 }, content: { note: 'With mother.' } }));
    await this.act('ru.deputy', 'releases Person Two', () => ({ type: 'HandoverConfirmed', meta: { proposal: p3, request: r2, step: 'released' }, content: null }));
    await this.act('ua.lead', 'receives Person Two', () => ({ type: 'HandoverConfirmed', meta: { proposal: p3, request: r2, step: 'received' }, content: null }));
    await this.act('ua.lead', 'records Person Two reunited', () => ({ type: 'ReunificationCompleted', meta: { request: r2 }, content: null }));

    const r4 = randomUUID();
    await this.act('ua.lead', 'asks for Child One again (by mistake)', () => ({ type: 'ReunificationRequested', meta: { request: r4, category: 'minor', holder: 'ru' }, content: person('Child One', '2015-03-02', '', '', 'duplicate') }));
    await this.act('ua.lead', 'withdraws the duplicate', () => ({ type: 'RequestWithdrawn', meta: { request: r4, reason: 'duplicate' }, content: null }));

    const nextKeys = this.keystore('ua.lead2', 'ua', 'negotiator');
    await this.act('ua.lead', 'rotates its key to ua.lead2', () => ({ type: 'ParticipantRevoked', meta: { participant: 'ua.lead', replacement: this.record(nextKeys) }, content: { note: 'Key rotation.' } }));
    this.actor(nextKeys);
    await this.act('ua.lead2', 'shares where Child Three was last seen', () => ({ type: 'RequestInformationShared', meta: { request: r3, kind: 'location' }, content: { text: "Last seen in a children's home in city X." } }));

    try {
      await ua.session.sync();
      throw new DemoFailure('the revoked key ua.lead could still read the channel');
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      this.say(`${'ua.lead'.padEnd(10)} (revoked key) is refused by the server: ${err.status} ${err.code}`);
    }

    for (const id of ['ua.lead2', 'ru.lead', 'us.envoy']) await this.actors.get(id)!.session.sync();
    process.stdout.write('\n=== What each side can read (verified and decrypted locally) ===\n');
    for (const [id, note] of [
      ['us.envoy', 'the mediator: reads everything since the opening'],
      ['ru.lead', 'side ru: reads the back channel, too'],
      ['ua.lead', 'side ua, old key: the back channel to ru stays closed; nothing after its revocation'],
      ['ua.lead2', 'side ua, rotated key: reads from its admission on'],
    ] as const) {
      process.stdout.write(`\n--- ${id}: ${note} ---\n`);
      process.stdout.write(statusTables(summarizeChannel(this.actors.get(id)!.session.view), { messages: true }));
    }

    process.stdout.write('\n=== Audit ===\n');
    const auditorHttp = icrc.session.http;
    const lines: string[] = [];
    for await (const { raw } of auditorHttp.events(this.channel)) lines.push(raw.toString('utf8'));
    const report = verifyLog(lines.join('\n'), { reader: { id: 'icrc.audit', boxSecret: icrc.keys.boxSecret } });
    const ch = report.channels[0];
    process.stdout.write(
      `offline verifier (icrc.audit, opening every body): ${report.ok ? 'OK' : 'VIOLATIONS'} — ${report.events} events, head ${ch?.head}\n`,
    );
    for (const v of report.violations) process.stdout.write(`  seq ${v.seq}: ${v.code}: ${v.message}\n`);
    let serverAgrees = true;
    try {
      const server = await auditorHttp.audit(this.channel);
      serverAgrees = server.ok === report.ok && server.head === ch?.head && server.events === report.events;
      // The server's words are shown through printable(): escape sequences in them cannot drive the terminal.
      const said = printable(`${server.ok ? 'OK' : 'VIOLATIONS'} — ${server.events} events, head ${server.head}`, true);
      process.stdout.write(`server's audit (GET /v1/channels/…/audit): ${said}${serverAgrees ? ' (agrees)' : ' (DISAGREES)'}\n`);
    } catch (err) {
      const f = describeFailure(err);
      process.stdout.write(printable(`server's audit endpoint: not available (${f.status ?? f.code}: ${f.message})`, true) + '\n');
    }
    if (!report.ok || !serverAgrees) throw new DemoFailure('the audit found problems');
    const s = us.session.state;
    const reunited = [...s.requests.values()].filter((r) => r.status === 'reunited').length;
    process.stdout.write(`\nDone: ${reunited} reunifications completed, ${s.nextSeq} events, every signature, proof, chain link and rule verified by each client.\n`);
  }

  cleanup(keep: boolean): void {
    if (keep) process.stdout.write(`keys kept in ${this.dir} (passphrase: ${this.passphrase})\n`);
    else rmSync(this.dir, { recursive: true, force: true });
  }
}

function seconds(text: string): number {
  const n = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text) || !(n > 0)) throw new InvalidArgumentError('a number of seconds above 0');
  return n;
}

async function main(): Promise<void> {
  const program = new Command('demo')
    .description('Drive a running Parley service through a complete negotiation')
    .addOption(serverOption('the running service'))
    .option('--notary-timeout <seconds>', 'how long to wait for the notary', seconds, 20)
    .option('--keep-keys', 'keep the temporary keystores (and print their passphrase)')
    // A usage error exits 2, as for `parley` (1 is a refusal or a failed audit).
    .exitOverride((err) => process.exit(err.exitCode === 0 ? EXIT.ok : EXIT.usage))
    .parse(process.argv);
  const o = program.opts() as { server: string; notaryTimeout: number; keepKeys?: boolean };
  const demo = new Demo(o.server, o.notaryTimeout * 1000);
  try {
    await demo.run();
    process.exitCode = EXIT.ok;
  } catch (err) {
    const hint = err instanceof ServerUnreachableError ? ' — start the service first: npm start (or pass --server)' : '';
    const f = err instanceof DemoFailure ? { code: 'demo_failed', message: err.message, exit: EXIT.refused } : describeFailure(err);
    process.stderr.write(`\ndemo: ${f.code}: ${f.message}${hint}\n`);
    process.exitCode = f.exit;
  } finally {
    demo.cleanup(o.keepKeys === true);
  }
}

void main();
