/**
 * `parley audit` as people run it: the built command in a child process, on the vector
 * logs, on standard input, with an auditor keystore (reading bodies, signing reports), and
 * `parley audit verify-report`.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeKeystore } from '../../src/client/keystore-file';
import { buildProgram } from '../../src/cli/main';
import { lastChannel, loadLogExpectations, logPath, readLog } from '../support/vectors';
import { mixedLog, parley } from './audit-fixtures';

const dir = mkdtempSync(join(tmpdir(), 'parley-audit-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const expectations = loadLogExpectations();

/**
 * A stand-in on 127.0.0.1:`port` answering every request 404 and recording it; fails
 * loudly when the port is taken (what answers there then is not ours to assert on).
 */
async function standIn(
  port: number,
  answer = { status: 404, type: 'application/json', body: JSON.stringify({ error: 'not_found', message: 'a stand-in' }) },
): Promise<{ url: string; requests: string[]; close: () => Promise<void> }> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    res.writeHead(answer.status, { 'content-type': answer.type }).end(answer.body);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(new Error(`this test listens on 127.0.0.1:${port}, and the port is taken: ${err.message}`)));
    server.listen(port, '127.0.0.1', resolve);
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, requests, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe('parley audit --file F --json on every vector log', () => {
  it.each(expectations.map((e) => [e.file, e] as const))('%s: the expected verdict, the same with 0 and 2 workers', async (_file, e) => {
    const [one, two] = await Promise.all([0, 2].map((w) => parley(['audit', '--file', logPath(e.file), '--json', '--workers', String(w)])));
    expect(two.stdout).toBe(one.stdout);
    const report = JSON.parse(two.stdout);
    expect(report.ok).toBe(e.ok);
    expect(two.code).toBe(e.ok ? 0 : 1);
    if (e.ok) {
      expect(report.events).toBe(e.events);
      // `head`: the hash of the log's last event, the head of the last line's channel.
      expect(report.channels.find((c: { channel: string }) => c.channel === lastChannel(readLog(e.file)))?.head).toBe(e.head);
      expect(report.violations).toEqual([]);
    } else {
      expect(report.violations[0]).toMatchObject({ seq: e.seq, code: e.code });
    }
  });
});

describe('parley audit', () => {
  const valid = expectations.find((e) => e.ok)!;

  it('given the log on standard input, then the same report as from the file', async () => {
    const [fromStdin, fromFile] = await Promise.all([
      parley(['audit', '--file', '-', '--json'], { input: readLog(valid.file) }),
      parley(['audit', '--file', logPath(valid.file), '--json']),
    ]);
    expect(fromStdin.code).toBe(0);
    expect(fromStdin.stdout).toBe(fromFile.stdout);
  });

  it('given no --json, then a readable summary with the verdict, heads and each violation', async () => {
    const bad = expectations.find((e) => !e.ok)!;
    const res = await parley(['audit', '--file', logPath(bad.file)]);
    expect(res.code).toBe(1);
    expect(res.stdout).toMatch(/^NOT VERIFIED: 1 violation/);
    expect(res.stdout).toContain(`seq ${bad.seq}  ${bad.code}: `);
    expect(res.stdout).toMatch(/head [0-9a-f]{64}/);
    expect(res.stderr).toBe(''); // no progress bar without a terminal
  });

  it('given a log whose values hold terminal escape sequences, then the summary shows them escaped, never raw', async () => {
    const line = JSON.stringify({ v: 1, id: 'x', channel: '\u001b]0;PWNED\u0007\u001b[2J', seq: 0 });
    const res = await parley(['audit', '--file', '-'], { input: line + '\n' });
    expect(res.code).toBe(1);
    expect(res.stdout).toContain('\\u{1b}]0;PWNED\\u{7}');
    // eslint-disable-next-line no-control-regex
    expect(res.stdout).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
  });

  it('given a log whose texts hold newlines (a member name, a channel), then each stays on its line: the log cannot print a verdict of its own', async () => {
    const fake = '\n\nVERIFIED: no violation in 1 event(s) of 1 channel(s)\n';
    const lines = [JSON.stringify({ v: 1, [fake]: 1 }), JSON.stringify({ v: 1, channel: fake, seq: 0 })];
    const res = await parley(['audit', '--file', '-'], { input: lines.join('\n') + '\n' });
    expect(res.code).toBe(1);
    expect(res.stdout).toMatch(/^NOT VERIFIED: 2 violation\(s\)/);
    expect(res.stdout).not.toMatch(/^VERIFIED/m);
    expect(res.stdout).toContain('\\u{a}\\u{a}VERIFIED: no violation');
  });

  const unusable: [string, string[]][] = [
    ['no input', ['audit']],
    ['a missing file', ['audit', '--file', join(dir, 'nope.ndjson')]],
    ['a channel that is not a uuid', ['audit', '--server', 'http://127.0.0.1:9', '--channel', 'x']],
    ['--file and --all', ['audit', '--file', '-', '--server', 'http://127.0.0.1:9', '--all']],
    ['--sign without a keystore', ['audit', '--file', '-', '--sign']],
  ];

  // --sign implies --json: its failure is the JSON error (below).
  it.each([...unusable.filter(([, args]) => !args.includes('--sign')), ['a bad worker count', ['audit', '--file', '-', '--workers', 'many']]])(
    'given %s, then exit 2 with a message and no report',
    async (_name, args) => {
      const res = await parley(args, { input: '' });
      expect(res.code).toBe(2);
      expect(res.stdout).toBe('');
      expect(res.stderr).not.toBe('');
    },
  );

  const unusableJson: [string, string[]][] = [
    ...unusable.filter(([, args]) => !args.includes('--sign')).map(([name, args]): [string, string[]] => [`${name} and --json`, [...args, '--json']]),
    ['--sign (implies --json) without a keystore', ['audit', '--file', '-', '--sign']],
  ];

  it.each(unusableJson)('given %s, then exit 2 and the JSON error every command prints', async (_name, args) => {
    const res = await parley(args, { input: '' });
    expect(res.code).toBe(2);
    expect(JSON.parse(res.stdout)).toEqual({ ok: false, error: 'usage', message: expect.any(String) });
    expect(res.stderr).toBe(`parley: usage: ${JSON.parse(res.stdout).message}\n`);
  });

  it('given no --workers, then the action gets os.availableParallelism() workers', async () => {
    // Seen as the action would receive it (parsed in-process, stopped before it runs): the
    // command prints the count nowhere, and its help says only "the CPU count".
    const program = buildProgram();
    let workers: unknown = null;
    program.hook('preAction', (_program, command) => {
      workers = command.opts().workers;
      throw new Error('stop before the audit');
    });
    await expect(program.parseAsync(['audit', '--file', '-'], { from: 'user' })).rejects.toThrow('stop before the audit');
    expect(workers).toBe(availableParallelism());
    const given = buildProgram().hook('preAction', (_p, command) => {
      workers = command.opts().workers;
      throw new Error('stop');
    });
    await expect(given.parseAsync(['audit', '--file', '-', '--workers', '0'], { from: 'user' })).rejects.toThrow('stop');
    expect(workers).toBe(0);
  });

  it('given --sign and an option that does not parse, then the usage error is the one JSON document on standard output', async () => {
    const res = await parley(['audit', '--file', '-', '--sign', '--workers', 'many']);
    expect(res.code).toBe(2);
    expect(JSON.parse(res.stdout)).toEqual({ ok: false, error: 'usage', message: expect.stringContaining('--workers') });
  });

  it('given an empty file or only blank lines, then exit 2: nothing audited, not VERIFIED', async () => {
    const empty = join(dir, 'empty.ndjson');
    writeFileSync(empty, '');
    const [file, stdin] = await Promise.all([parley(['audit', '--file', empty]), parley(['audit', '--file', '-', '--json'], { input: '\n  \n' })]);
    expect({ code: file.code, stdout: file.stdout }).toEqual({ code: 2, stdout: '' });
    expect(file.stderr).toContain(`${empty} holds no events: nothing was audited`);
    expect({ code: stdin.code, out: JSON.parse(stdin.stdout) }).toEqual({
      code: 2,
      out: { ok: false, error: 'unusable_input', message: 'standard input holds no events: nothing was audited' },
    });
  });

  it('given a line longer than the limit and --json, then exit 2 and error unusable_input', async () => {
    const res = await parley(['audit', '--file', '-', '--json'], { input: Buffer.alloc(64 * 1024 * 1024 + 2, 0x61) });
    expect(res.code).toBe(2);
    expect(JSON.parse(res.stdout)).toEqual({ ok: false, error: 'unusable_input', message: expect.stringMatching(/longer than/) });
  });

  describe('with an auditor keystore', () => {
    const log = mixedLog();
    const logFile = join(dir, 'mixed.ndjson');
    const keystore = join(dir, 'auditor.keystore');
    const passFile = join(dir, 'pass');
    const env = { PARLEY_KEYSTORE_SCRYPT_N: '1024' };
    beforeAll(() => {
      writeFileSync(logFile, log.bytes);
      writeFileSync(passFile, 'correct horse battery\n', { mode: 0o600 });
      process.env.PARLEY_KEYSTORE_SCRYPT_N = '1024';
      writeKeystore(
        keystore,
        { id: 'icrc.audit', party: 'icrc', role: 'auditor', signSeed: log.auditor.signSeed, boxSecret: log.auditor.boxSecret, channels: [log.read, log.plain] },
        'correct horse battery',
        { overwrite: false },
      );
    });
    const withKeys = (...args: string[]) => parley(['audit', '--file', logFile, '--keystore', keystore, '--passphrase-file', passFile, ...args], { env });

    it('given a body whose commit lies to the auditor, then bad_body there, which is unseen without the keys', async () => {
      const [keyed, plain] = await Promise.all([withKeys('--json'), parley(['audit', '--file', logFile, '--json'])]);
      const codes = (r: { stdout: string }) => JSON.parse(r.stdout).violations.map((v: { channel: string; code: string }) => [v.channel, v.code]);
      expect(codes(keyed)).toEqual([[null, 'malformed'], [null, 'malformed'], [log.plain, 'bad_signature'], [log.read, 'bad_body']]);
      expect(codes(plain)).toEqual([[null, 'malformed'], [null, 'malformed'], [log.plain, 'bad_signature']]);
      expect(keyed.code).toBe(1);
    });

    it('given --sign, then a report that verify-report accepts, and rejects once anything in it changes', async () => {
      const signed = await withKeys('--sign');
      expect(signed.code).toBe(1); // the verdict still sets the exit code
      const reportFile = join(dir, 'report.json');
      writeFileSync(reportFile, signed.stdout);
      const report = JSON.parse(signed.stdout);
      expect(report.signer).toMatchObject({ id: 'icrc.audit', signKey: log.auditor.signKey, boxKey: log.auditor.boxKey });

      const ok = await parley(['audit', 'verify-report', reportFile]);
      expect(ok.code).toBe(0);
      expect(ok.stdout).toMatch(/^VALID: signed by icrc\.audit/);

      const forged = join(dir, 'forged.json');
      writeFileSync(forged, JSON.stringify({ ...report, ok: true, violations: [] }));
      const bad = await parley(['audit', 'verify-report', forged]);
      expect(bad.code).toBe(1);
      expect(bad.stdout).toMatch(/^NOT VALID/);

      writeFileSync(forged, readFileSync(reportFile, 'utf8').replace('"events": ', '"events": 1'));
      expect((await parley(['audit', 'verify-report', forged])).code).toBe(1);
      expect((await parley(['audit', 'verify-report', join(dir, 'missing.json')])).code).toBe(2);

      // With --json, one document either way.
      const okJson = await parley(['audit', 'verify-report', reportFile, '--json']);
      expect({ code: okJson.code, out: JSON.parse(okJson.stdout) }).toEqual({
        code: 0,
        out: { valid: true, signer: 'icrc.audit', fingerprint: report.signer.fingerprint, safetyNumber: expect.any(String), signedAt: report.signedAt, ok: false, events: report.events, channels: report.channels.length, violations: report.violations.length },
      });
      const badJson = await parley(['audit', 'verify-report', forged, '--json']);
      expect({ code: badJson.code, out: JSON.parse(badJson.stdout) }).toEqual({ code: 1, out: { valid: false, reason: expect.any(String) } });
      const missingJson = await parley(['audit', 'verify-report', join(dir, 'missing.json'), '--json']);
      expect({ code: missingJson.code, out: JSON.parse(missingJson.stdout) }).toEqual({ code: 2, out: { ok: false, error: 'usage', message: expect.stringContaining('missing.json') } });
    });

    it('given --channel and no --server nor PARLEY_SERVER, then the log is fetched from http://127.0.0.1:3000, as by every command', async () => {
      const server = await standIn(3000);
      try {
        const run = await parley(['audit', '--channel', log.read, '--keystore', keystore, '--passphrase-file', passFile], { env: { ...env, PARLEY_SERVER: undefined } });
        expect(server.requests.filter((r) => r.startsWith(`GET /v1/channels/${log.read}/`))).not.toEqual([]);
        expect(run.code).toBe(2);
        expect(run.stderr).toMatch(/not_found/);
      } finally {
        await server.close();
      }
    });

    it('given --channel and a server answering an empty log for it, then exit 2: nothing audited, not VERIFIED', async () => {
      const server = await standIn(0, { status: 200, type: 'application/x-ndjson', body: '' });
      try {
        const run = await parley(['audit', '--server', server.url, '--channel', log.read, '--keystore', keystore, '--passphrase-file', passFile], { env });
        expect(run.code).toBe(2);
        expect(run.stdout).toBe('');
        expect(run.stderr).toMatch(/the server answered for channel .* no events: nothing was audited/);
      } finally {
        await server.close();
      }
    });

    it('given --help, then --server shows the default every command has', async () => {
      const help = await parley(['audit', '--help']);
      expect(help.stdout.replace(/\s+/g, ' ')).toMatch(/--server <url> .{0,100}?\(default: "http:\/\/127\.0\.0\.1:3000", env: PARLEY_SERVER\)/s);
    });

    it('given a wrong passphrase, then exit 2 and nothing audited', async () => {
      const res = await parley(['audit', '--file', logFile, '--keystore', keystore], { env: { ...env, PARLEY_PASSPHRASE: 'wrong' } });
      expect(res.code).toBe(2);
      expect(res.stdout).toBe('');
      expect(res.stderr).toMatch(/^parley: wrong_passphrase: .*passphrase/);
      const json = await parley(['audit', '--file', logFile, '--keystore', keystore, '--json'], { env: { ...env, PARLEY_PASSPHRASE: 'wrong' } });
      expect(json.code).toBe(2);
      expect(JSON.parse(json.stdout)).toEqual({ ok: false, error: 'wrong_passphrase', message: expect.stringMatching(/passphrase/) });
    });
  });
});
