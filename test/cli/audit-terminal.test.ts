/**
 * `parley audit`'s progress bar on a real pseudo-terminal (util-linux `script`), standard
 * output sent to a file so that the screen is standard error alone: with a total (a file's
 * size, a channel's head) percentage and ETA, without one (standard input, --all) events and
 * events/s only; with --quiet, nothing. Against a real service process for --server.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeGeneratedLog } from '../../src/audit/generated-log.fixture';
import { ParleyHttpClient } from '../../src/client';
import { writeKeystore } from '../../src/client/keystore-file';
import { generateIdentity, Identity } from '../../src/protocol';
import { NegotiationBuilder, newNotarySeed } from '../support/negotiation-builder';
import { parleyInTerminal, ServerProcess } from './parley-harness';

jest.setTimeout(90_000);

/** The terminal's text without its control sequences, each redraw of the bar on a line of its own. */
const frames = (screen: string): string[] =>
  screen
    .replace(/\x1b\[1G/g, '\n') // the bar goes back to the first column before each redraw
    // eslint-disable-next-line no-control-regex
    .replace(/\x1b(\[[0-9;?]*[A-Za-z]|[78])/g, '')
    .split(/[\r\n]+/)
    .filter((l) => l.trim() !== '');

const WITH_TOTAL = /^auditing \[[=-]+\] (\d+)% \| (\d+) events \| (\d+) events\/s \| ETA \S+$/;
const WITHOUT_TOTAL = /^auditing \| (\d+) events \| (\d+) events\/s$/;

describe('parley audit progress on a terminal', () => {
  const EVENTS = 20_000;
  let dir = '';
  let log = '';
  const out = () => join(dir, 'stdout');
  const report = () => JSON.parse(readFileSync(out(), 'utf8'));

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'parley-audit-tty-'));
    log = join(dir, 'log.ndjson');
    writeGeneratedLog(log, EVENTS);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('given --file F, then a bar on stderr with percentage, events, events/s and ETA, ending at 100 % of every event', async () => {
    const run = await parleyInTerminal(['audit', '--file', log, '--workers', '1', '--json'], {}, [], { stdout: out() });
    expect(run.code).toBe(0);
    expect(report()).toMatchObject({ ok: true, events: EVENTS });
    const bars = frames(run.screen);
    expect(bars.length).toBeGreaterThan(0);
    for (const line of bars) expect(line).toMatch(WITH_TOTAL);
    expect(WITH_TOTAL.exec(bars.at(-1)!)!.slice(1, 3)).toEqual(['100', String(EVENTS)]);
    expect(Math.max(...bars.map((l) => Number(WITH_TOTAL.exec(l)![3])))).toBeGreaterThan(0); // a rate was measured
    expect(bars.every((l) => l.length <= 80)).toBe(true); // the ETA fits an 80-column terminal
  });

  it('given --file F --quiet, then nothing at all on stderr', async () => {
    const run = await parleyInTerminal(['audit', '--file', log, '--workers', '1', '--json', '--quiet'], {}, [], { stdout: out() });
    expect(run.code).toBe(0);
    expect(report()).toMatchObject({ ok: true, events: EVENTS });
    expect(run.screen).toBe('');
  });

  it('given --file - (no size known), then events and events/s only: no percentage, no ETA', async () => {
    const run = await parleyInTerminal(['audit', '--file', '-', '--workers', '1', '--json'], {}, [], { stdin: log, stdout: out() });
    expect(run.code).toBe(0);
    expect(report()).toMatchObject({ ok: true, events: EVENTS });
    const bars = frames(run.screen);
    expect(bars.length).toBeGreaterThan(0);
    for (const line of bars) expect(line).toMatch(WITHOUT_TOTAL);
    expect(WITHOUT_TOTAL.exec(bars.at(-1)!)![1]).toBe(String(EVENTS));
  });

  it('given Ctrl-C while the bar is drawn, then the terminal gets its cursor and line wrap back, and the audit ends as interrupted (130)', async () => {
    // Reading the terminal itself, the audit waits for lines until interrupted.
    const run = await parleyInTerminal(['audit', '--file', '-', '--workers', '1'], {}, [['auditing', '\u0003']]);
    expect(run.code).toBe(130);
    const hidden = run.screen.indexOf('\u001b[?25l');
    expect(hidden).toBeGreaterThanOrEqual(0);
    expect(run.screen.indexOf('\u001b[?25h', hidden)).toBeGreaterThan(hidden); // the cursor shown again
    expect(run.screen.indexOf('\u001b[?7h', hidden)).toBeGreaterThan(hidden); // line wrap on again
  });

  describe('with --server', () => {
    const server = new ServerProcess();
    const notarySeed = newNotarySeed();
    const global: Identity = generateIdentity();
    let n: NegotiationBuilder;
    const keystore = (name: string, identity: Identity): string => {
      const path = join(dir, name);
      writeKeystore(path, { id: name, party: 'icrc', role: 'auditor', signSeed: identity.signSeed, boxSecret: identity.boxSecret, channels: [] }, 'pass phrase', {
        overwrite: true,
      });
      return path;
    };
    const env = { PARLEY_PASSPHRASE: 'pass phrase', PARLEY_KEYSTORE_SCRYPT_N: '1024' };

    beforeAll(async () => {
      process.env.PARLEY_KEYSTORE_SCRYPT_N = '1024';
      await server.start({ PARLEY_NOTARY_SEED: notarySeed, PARLEY_AUDITORS: `${global.signKey}:${global.boxKey}` });
      n = NegotiationBuilder.open({ notarySeed });
      n.request('ua.lead', 'ru');
      for (let i = 0; i < 40; i++) n.message(i % 2 ? 'ru.lead' : 'ua.lead', ['ru', 'ua', 'us'], `message ${i}`);
      const http = new ParleyHttpClient({ server: server.url });
      for (const env of n.log) await http.append(env);
    });
    afterAll(() => server.stop());

    it('given --channel C, then the head gives the total: percentage and ETA, ending at 100 % of the channel', async () => {
      const ks = keystore('member.keystore', n.members.get('icrc.audit')!.identity);
      const run = await parleyInTerminal(['audit', '--server', server.url, '--channel', n.channel, '--keystore', ks, '--json'], env, [], { stdout: out() });
      expect(run.code).toBe(0);
      expect(report()).toMatchObject({ ok: true, events: n.log.length });
      const bars = frames(run.screen);
      expect(bars.length).toBeGreaterThan(0);
      for (const line of bars) expect(line).toMatch(WITH_TOTAL);
      expect(WITH_TOTAL.exec(bars.at(-1)!)!.slice(1, 3)).toEqual(['100', String(n.log.length)]);
    });

    it('given --all (no total known), then events and events/s only', async () => {
      const run = await parleyInTerminal(['audit', '--server', server.url, '--all', '--keystore', keystore('global.keystore', global), '--json'], env, [], {
        stdout: out(),
      });
      expect(run.code).toBe(0);
      expect(report()).toMatchObject({ ok: true, events: n.log.length });
      const bars = frames(run.screen);
      expect(bars.length).toBeGreaterThan(0);
      for (const line of bars) expect(line).toMatch(WITHOUT_TOTAL);
    });
  });
});
