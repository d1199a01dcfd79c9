/**
 * Protocol benchmarks (issue 2), each a ratio of two rates measured in this run:
 * - verify_vs_raw: full verification of NDJSON lines of 1 KiB-body envelopes, one thread
 *   (strict parse, canonical forms, shape, chain, signature, recipients, rules, evolve) ÷
 *   raw node:crypto Ed25519 verifies of the same signing inputs with the same imported key.
 * - seal8_native_vs_tweetnacl: sealing a body for 8 recipients with native X25519 ÷ the
 *   same sealing with tweetnacl's `box`.
 */
import { createPublicKey, verify } from 'node:crypto';
import nacl from 'tweetnacl';
import {
  Envelope,
  b64uDecode,
  b64uEncode,
  canonical,
  envelopeForms,
  generateIdentity,
  LogVerifier,
  Recipient,
  sealBody,
  sha256Hex,
} from '../src/protocol';
import { NegotiationFixture } from '../src/protocol/negotiation/negotiation.fixture';
import type { Benchmark } from './run';
import { rate, recordResults } from './results';

const CONTENT = { text: 'x'.repeat(1024) };

/** A channel log: its opening, then `events` MessagePosted with a 1 KiB body, as NDJSON lines. */
function chainedLog(events: number): { lines: string[]; signKey: string } {
  const f = new NegotiationFixture();
  const lines = [JSON.stringify(f.apply(f.opening({ quorum: 'sides', auditorsRead: false })))];
  for (let i = 0; i < events; i++) {
    lines.push(JSON.stringify(f.apply(f.build('ua.lead', 'MessagePosted', { audience: ['ru', 'ua'] }, CONTENT))));
  }
  return { lines, signKey: f.members.get('ua.lead')!.record.signKey };
}

function verifyRatio(): number {
  const { lines, signKey } = chainedLog(2000);
  const messages = lines.slice(1).map((l) => JSON.parse(l) as Envelope);
  const inputs = messages.map((e) => envelopeForms(e).signingInput);
  const sigs = messages.map((e) => b64uDecode(e.sig, 64)!);
  const key = createPublicKey({
    key: Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), b64uDecode(signKey, 32)!]),
    format: 'der',
    type: 'spki',
  });
  let i = 0;
  const raw = rate(() => {
    const k = i++ % inputs.length;
    if (!verify(null, inputs[k], key, sigs[k])) throw new Error('raw verify failed');
  }, 2000);
  // The replay restarts with a fresh verifier for each pass over the log, so every pass is valid.
  let replayed = 0;
  const start = process.hrtime.bigint();
  let elapsed = 0;
  while (elapsed < 2e9) {
    const v = new LogVerifier();
    for (const line of lines) v.addLine(line);
    const report = v.report();
    if (!report.ok) throw new Error(`replay failed: ${JSON.stringify(report.violations[0])}`);
    replayed += lines.length;
    elapsed = Number(process.hrtime.bigint() - start);
  }
  const replay = replayed / (elapsed / 1e9);
  console.log(`  raw Ed25519 verify ${raw.toFixed(0)}/s, full envelope verification ${replay.toFixed(0)}/s`);
  return replay / raw;
}

/** The same construction as sealBody, with tweetnacl doing the X25519 (nacl.box). */
function sealWithTweetnacl(content: Record<string, unknown>, recipients: Recipient[]): unknown {
  const pt = Buffer.from(canonical(content));
  const k = nacl.randomBytes(32);
  const nonce = nacl.randomBytes(24);
  const eph = nacl.box.keyPair();
  return {
    epk: b64uEncode(eph.publicKey),
    nonce: b64uEncode(nonce),
    box: b64uEncode(nacl.secretbox(pt, nonce, k)),
    commit: sha256Hex('parley/v1/commit\n', k, pt),
    keys: recipients.map((r) => {
      const n = nacl.randomBytes(24);
      return { to: r.id, nonce: b64uEncode(n), key: b64uEncode(nacl.box(k, n, b64uDecode(r.boxKey, 32)!, eph.secretKey)) };
    }),
  };
}

function sealRatio(): number {
  const recipients = Array.from({ length: 8 }, (_, i) => ({ id: `p${i}`, boxKey: generateIdentity().boxKey }));
  const native = rate(() => sealBody(CONTENT, recipients), 1500);
  const tweet = rate(() => sealWithTweetnacl(CONTENT, recipients), 1500);
  console.log(`  seal for 8: native ${native.toFixed(0)}/s, tweetnacl ${tweet.toFixed(0)}/s`);
  return native / tweet;
}

export const benchmark: Benchmark = {
  name: 'protocol',
  title: 'envelope verification vs raw Ed25519; sealing for 8 recipients, native vs tweetnacl',
  async run() {
    recordResults({
      verify_vs_raw: { value: verifyRatio(), unit: 'ratio' },
      seal8_native_vs_tweetnacl: { value: sealRatio(), unit: 'ratio' },
    });
  },
};
