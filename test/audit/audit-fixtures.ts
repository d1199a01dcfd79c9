/**
 * Logs for the auditor's tests, built with the real protocol (test/support/negotiation-builder):
 * three channels interleaved, with every membership change that moves sign keys (admission,
 * key rotation), the notary, a full transfer, and then the kinds of damage an auditor must
 * report — lines that are not JSON or not UTF-8, a forged signature, a body whose commit
 * does not match what the auditor (a recipient under `auditorsRead`) decrypts.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { canonical, Envelope, generateIdentity, Identity, randomBytes, sealBody, sha256Hex } from '../../src/protocol';
import { DEFAULT_MEMBERS, NegotiationBuilder, newNotarySeed } from '../support/negotiation-builder';

export const BIN = join(__dirname, '..', '..', 'bin', 'parley');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the built `parley` command (npm test builds dist first). */
export function parley(args: string[], options: { input?: string | Buffer; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [BIN, ...args],
      { env: { ...process.env, ...options.env }, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
    if (options.input !== undefined) child.stdin!.end(options.input);
  });
}

/** A negotiation that exercises every kind of key change. */
function busyChannel(auditor: Identity, auditorsRead: boolean): NegotiationBuilder {
  const members = DEFAULT_MEMBERS.map((m) => (m.id === 'icrc.audit' ? { ...m, identity: auditor } : m));
  const n = NegotiationBuilder.open({ notarySeed: newNotarySeed(), policy: { quorum: 'sides', auditorsRead }, members });
  const request = n.request('ua.lead', 'ru').meta.request;
  n.message('ru.lead', ['ru', 'ua'], 'back channel');
  const proposal = n.propose('us.envoy', [request]).meta.proposal;
  n.accept('ua.lead', proposal);
  n.accept('ru.lead', proposal);
  n.agree(proposal);
  n.admit('ua.lead', { id: 'ua.second', party: 'ua', role: 'negotiator' });
  n.message('ua.second', ['ua'], 'new key');
  n.revoke('ru.lead', 'ru.lead', 'ru.lead2');
  n.handover('ru.lead2', proposal, request, 'released');
  n.handover('ua.second', proposal, request, 'received');
  n.complete('ua.lead', request);
  n.message('ru.lead2', ['ru', 'ua', 'us'], 'done');
  return n;
}

/** Round-robin merge of several channels' lines. */
function interleave(logs: string[][]): string[] {
  const out: string[] = [];
  for (let i = 0; logs.some((l) => i < l.length); i++) for (const l of logs) if (i < l.length) out.push(l[i]);
  return out;
}

export interface MixedLog {
  /** The NDJSON bytes. */
  bytes: Buffer;
  /** The auditor's keys: a recipient in channel `read` (auditorsRead), a participant of `plain` too. */
  auditor: Identity;
  read: string;
  plain: string;
  other: string;
}

/**
 * Three channels interleaved; `read` lets auditors read and ends in a MessagePosted whose
 * commit lies, `plain` ends in a forged signature; and lines that are no envelope at all.
 * The auditor (the same keys as `icrc.audit` in `read` and `plain`) is someone else in `other`.
 */
export function mixedLog(): MixedLog {
  const auditor = generateIdentity();
  const read = busyChannel(auditor, true);
  const plain = busyChannel(auditor, false);
  const other = busyChannel(generateIdentity(), true);

  const lying = read.build('ua.lead', 'MessagePosted', { audience: ['ua'] }, null, (e) => {
    const recipients = ['icrc.audit', 'ua.lead', 'ua.second'].map((id) => ({ id, boxKey: read.members.get(id)!.record.boxKey }));
    const body = sealBody({ text: 'one thing' }, recipients);
    body.commit = sha256Hex('parley/v1/commit\n', randomBytes(32), canonical({ text: 'another thing' }));
    e.body = body;
  });
  const forged = plain.build('ua.lead', 'MessagePosted', { audience: ['ua'] }, { text: 'x' });
  const flipped = forged.sig[10] === 'A' ? 'B' : 'A';
  const forgedLine = JSON.stringify({ ...forged, sig: forged.sig.slice(0, 10) + flipped + forged.sig.slice(11) });

  const lines = interleave([read.log, plain.log, other.log].map((log) => log.map((e: Envelope) => JSON.stringify(e))));
  lines.splice(5, 0, 'this is not JSON');
  lines.splice(9, 0, '   ');
  lines.push(forgedLine, JSON.stringify(lying));
  const text = Buffer.from(lines.join('\n') + '\n');
  const invalidUtf8 = Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d, 0x0a]);
  const cut = text.indexOf('\n', text.length >> 1) + 1;
  return {
    bytes: Buffer.concat([text.subarray(0, cut), invalidUtf8, text.subarray(cut)]),
    auditor,
    read: read.channel,
    plain: plain.channel,
    other: other.channel,
  };
}
