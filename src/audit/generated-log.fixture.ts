/**
 * Long valid logs for the auditor's memory test and benchmark, written fast: one channel
 * opened by the protocol fixture (real keys and proofs), then MessagePosted events that
 * reuse one sealed body and are written straight in canonical form, so that each costs one
 * Ed25519 signature and one SHA-256. The first events are checked against the protocol's
 * own signing input and hash, so the shortcut cannot drift from it unnoticed.
 */
import { randomUUID } from 'node:crypto';
import { closeSync, openSync, writeSync } from 'node:fs';
import {
  b64uDecode,
  canonical,
  ed25519Signer,
  eventHash,
  MetaByType,
  parseStrictJson,
  requiredRecipients,
  sealBody,
  sha256Hex,
  signingInput,
} from '../protocol';
import type { Envelope } from '../protocol';
import { NegotiationFixture } from '../protocol/negotiation/negotiation.fixture';

export interface GeneratedLog {
  channel: string;
  events: number;
  /** Hash of the last event. */
  head: string;
  bytes: number;
}

/**
 * Writes a valid log of `events` events (≥ 2) to `path`, one channel. `contentBytes` sizes
 * the message text sealed once and reused.
 */
export function writeGeneratedLog(path: string, events: number, options: { contentBytes?: number } = {}): GeneratedLog {
  const f = new NegotiationFixture();
  const opened = f.apply(f.opening({ quorum: 'sides', auditorsRead: false }));
  const meta: MetaByType['MessagePosted'] = { audience: ['ru', 'ua'] };
  const body = sealBody({ text: 'x'.repeat(options.contentBytes ?? 64) }, requiredRecipients(f.state, { type: 'MessagePosted', meta }));
  const sign = ed25519Signer(b64uDecode(f.members.get('ua.lead')!.identity.signSeed, 32)!);
  const bodyText = canonical(body);
  const metaText = canonical(meta);
  const start = Date.parse('2026-10-10T10:00:00.000Z');

  const fd = openSync(path, 'w');
  let bytes = 0;
  let pending: string[] = [];
  const flush = () => {
    const text = pending.join('');
    bytes += writeSync(fd, text);
    pending = [];
  };
  try {
    const first = JSON.stringify(opened) + '\n';
    pending.push(first);
    let head = eventHash(opened);
    for (let seq = 1; seq < events; seq++) {
      const at = new Date(start + seq * 1000).toISOString();
      // Members in canonical (sorted) order; every value is already canonical text.
      const before = `{"at":"${at}","body":${bodyText},"channel":"${f.channel}","id":"${randomUUID()}","meta":${metaText},"prev":"${head}","sender":"ua.lead","seq":${seq}`;
      const after = `,"type":"MessagePosted","v":1}`;
      const signed = Buffer.from('parley/v1/event\n' + before + after);
      const line = `${before},"sig":"${sign(signed).toString('base64url')}"${after}`;
      head = sha256Hex(line);
      if (seq <= 3) selfCheck(line, signed, head);
      pending.push(line + '\n');
      if (pending.length >= 1000) flush();
    }
    flush();
    return { channel: f.channel, events, head, bytes };
  } finally {
    closeSync(fd);
  }
}

function selfCheck(line: string, signed: Buffer, hash: string): void {
  const env = parseStrictJson(line) as unknown as Envelope;
  if (canonical(env) !== line || eventHash(env) !== hash || !signingInput(env).equals(signed)) {
    throw new Error('the generated log does not follow the protocol');
  }
}
