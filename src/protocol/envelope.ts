import { createHash, KeyObject } from 'node:crypto';
import { b64uDecode, b64uEncode, byId, canonical, sha256Hex, sha256HexOf } from './encoding';
import { boxBeforeNm, ed25519Verify, randomBytes, rawPublic, secretbox, Signer, x25519PrivateKey } from './crypto';
import { decodeUtf8Strict, MAX_JSON_DEPTH, parseStrictJson, parseStrictJsonBytes } from './strict-json';
import { canonicalSigSpan, scanCanonicalParts, type SigSpan } from './canonical-scan';
import type { Body, Envelope, UnsignedEnvelope } from './types';

const EVENT_PREFIX = 'parley/v1/event\n';

/**
 * The largest envelope any deployment may be configured to accept, in bytes of its stored
 * text (PARLEY_MAX_ENVELOPE_BYTES, 1 MiB by default, is at most this): what a client must be
 * ready to read, as it cannot know a server's setting.
 */
export const MAX_ENVELOPE_BYTES = 64 * 2 ** 20;
const COMMIT_PREFIX = 'parley/v1/commit\n';

export interface EnvelopeForms {
  /** "parley/v1/event\n" ‖ canonical(envelope without "sig"): the bytes signed. */
  signingInput: Buffer;
  /** hex(SHA-256(canonical(envelope with "sig"))). */
  hash: string;
}

// Both forms share every member but "sig", so each member is canonicalised once; and the
// check → evolve of one envelope object reuses them instead of canonicalising again.
const formsCache = new WeakMap<object, EnvelopeForms>();

export function envelopeForms(env: Envelope): EnvelopeForms {
  const hit = formsCache.get(env);
  if (hit) return hit;
  const record = env as unknown as Record<string, unknown>;
  const keys = Object.keys(record).sort();
  const unsigned: string[] = [];
  const signed: string[] = [];
  for (const k of keys) {
    const member = JSON.stringify(k) + ':' + canonical(record[k]);
    if (k !== 'sig') unsigned.push(member);
    signed.push(member);
  }
  const forms = {
    signingInput: Buffer.from(EVENT_PREFIX + '{' + unsigned.join(',') + '}'),
    hash: sha256Hex('{' + signed.join(',') + '}'),
  };
  formsCache.set(env, forms);
  return forms;
}

export function signingInput(env: UnsignedEnvelope | Envelope): Buffer {
  const { sig: _sig, ...unsigned } = env as Envelope;
  return Buffer.from(EVENT_PREFIX + canonical(unsigned));
}

export function eventHash(env: Envelope): string {
  return envelopeForms(env).hash;
}

/**
 * The text to store for an envelope that passed `check`: its canonical form. The hash and the
 * signature were checked on forms cached when its text was parsed; had the object been
 * changed since (a member deleted in place by some library), they would vouch for other
 * bytes than these, and a log no reader can verify would be stored. So that is refused.
 */
export function storedText(env: Envelope): string {
  const text = canonical(env);
  if (sha256HexOf(Buffer.from(text)) !== eventHash(env)) {
    throw new Error('the envelope was changed after it was parsed and checked: not stored');
  }
  return text;
}

export function signEnvelope<E extends UnsignedEnvelope>(unsigned: E, signer: Signer): E & { sig: string } {
  return { ...unsigned, sig: b64uEncode(signer(signingInput(unsigned))) };
}

export function verifyEnvelopeSignature(env: Envelope, signKey: string): boolean {
  const sig = b64uDecode(env.sig, 64);
  return sig !== null && ed25519Verify(signKey, envelopeForms(env).signingInput, sig);
}

export interface Recipient {
  id: string;
  boxKey: string;
}

/**
 * Seals `content` for exactly `recipients` (DESIGN.md 1.3): one secretbox under a random
 * key k, k boxed to each recipient from one ephemeral X25519 key, and a commitment to
 * k ‖ plaintext so that every recipient provably reads the same text.
 */
export function sealBody(content: Record<string, unknown>, recipients: readonly Recipient[]): Body {
  const pt = Buffer.from(canonical(content));
  const k = randomBytes(32);
  const nonce = randomBytes(24);
  const ephemeral = x25519PrivateKey(randomBytes(32)); // not generateKeyPairSync: see crypto.ts
  const epk = rawPublic(ephemeral);
  const sorted = [...recipients].sort(byId);
  const keys = sorted.map((r) => {
    const n = randomBytes(24);
    return { to: r.id, nonce: b64uEncode(n), key: b64uEncode(secretbox(k, n, boxBeforeNm(r.boxKey, ephemeral))) };
  });
  return {
    epk: b64uEncode(epk),
    nonce: b64uEncode(nonce),
    box: b64uEncode(secretbox(pt, nonce, k)),
    commit: sha256Hex(COMMIT_PREFIX, k, pt),
    keys,
  };
}

export type OpenResult =
  | { ok: true; content: Record<string, unknown>; plaintext: string }
  | { ok: false; reason: 'not_recipient' | 'bad_body'; message: string };

/** Opens a body as recipient `me`, checking the commitment and parsing the content strictly. */
export function openBody(body: Body, me: { id: string; boxSecret: string | KeyObject }): OpenResult {
  const entry = body.keys.find((e) => e.to === me.id);
  if (!entry) return { ok: false, reason: 'not_recipient', message: `${me.id} is not a recipient` };
  const bad = (message: string): OpenResult => ({ ok: false, reason: 'bad_body', message });
  const secret = typeof me.boxSecret === 'string' ? b64uDecode(me.boxSecret, 32) : null;
  const ownKey = typeof me.boxSecret === 'string' ? (secret ? x25519PrivateKey(secret) : null) : me.boxSecret;
  if (!ownKey) return bad('not a 32-byte box secret');
  const keyNonce = b64uDecode(entry.nonce, 24);
  const boxedKey = b64uDecode(entry.key, 48);
  const nonce = b64uDecode(body.nonce, 24);
  const box = b64uDecode(body.box);
  if (!keyNonce || !boxedKey || !nonce || !box) return bad('body fields are not valid b64u');
  let shared: Uint8Array;
  try {
    shared = boxBeforeNm(body.epk, ownKey);
  } catch {
    return bad('epk is not a usable X25519 key');
  }
  const k = secretbox.open(boxedKey, keyNonce, shared);
  if (!k) return bad('the content key does not open');
  const pt = secretbox.open(box, nonce, k);
  if (!pt) return bad('the box does not open');
  if (sha256Hex(COMMIT_PREFIX, k, pt) !== body.commit) return bad('commit does not match');
  let content: Record<string, unknown>;
  try {
    content = parseStrictJsonBytes(pt, { maxDepth: 256 });
  } catch (err) {
    return bad(`content is not strict JSON: ${(err as Error).message}`);
  }
  // Not also required to be canonical: senders write canonical(content), but 1.3's opening
  // checks the commit and strict parsing only, and an independent auditor checks no more.
  return { ok: true, content, plaintext: Buffer.from(pt).toString('utf8') };
}

const SURROGATE = /[\ud800-\udfff]/;
/**
 * Texts up to this length go to JSON.parse unchecked. A longer one is first checked for
 * nesting: JSON.parse would build every level before the strict checks refuse it, and a
 * megabyte of "[[[[…" costs some fifty of memory.
 */
const SHALLOW_ENOUGH = 64 * 1024;

/** Whether `text` (without backslashes: every '"' opens or closes a string) nests at most `max` deep. */
function nestedAtMost(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) inString = !inString;
    else if (inString) continue;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return false;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return true;
}

/**
 * Strictly parses one stored or received envelope text, computing its hash and signing
 * input from the text's own spans (scanCanonical) rather than re-serialising the parsed
 * value: the verifier's hot path. The returned value must be treated as immutable: its
 * cached forms describe it as parsed.
 */
export function parseEnvelopeText(text: string): unknown {
  let value: Record<string, unknown> | undefined;
  // The usual text: no escapes, no surrogates (both checks native: indexOf is memchr-fast, and
  // the surrogate class cannot match a one-byte string, so V8 answers at once),
  // and valid JSON, which lets the scan find each string's end with indexOf.
  if (text.indexOf('\\') === -1 && !SURROGATE.test(text) && (text.length <= SHALLOW_ENOUGH || nestedAtMost(text, MAX_JSON_DEPTH))) {
    try {
      value = JSON.parse(text) as Record<string, unknown>;
    } catch {
      // not JSON: the strict parser below says why
    }
  }
  const span = value !== undefined ? canonicalSigSpan(text) : null;
  if (span) {
    formsCache.set(value!, canonicalTextForms(text, span));
    return value;
  }
  const parts = scanCanonicalParts(text, value !== undefined);
  if (!parts) return parseStrictJson(text, { keepUnsafeIntegers: true });
  value ??= JSON.parse(text) as Record<string, unknown>;
  // Encoded once: the hash reads the signing input's bytes around the "sig" member.
  const signingInput = Buffer.from(EVENT_PREFIX + parts.head + parts.tail);
  const ascii = signingInput.length === EVENT_PREFIX.length + parts.head.length + parts.tail.length;
  const split = EVENT_PREFIX.length + (ascii ? parts.head.length : Buffer.byteLength(parts.head));
  const hash = createHash('sha256').update(signingInput.subarray(EVENT_PREFIX.length, split)).update(parts.sig);
  formsCache.set(value, { signingInput, hash: hash.update(signingInput.subarray(split)).digest('hex') });
  return value;
}

/**
 * The forms of a text that is canonical already: the hash is over the text itself, and the
 * signing input is the same bytes with the "sig" span cut out, in place.
 */
function canonicalTextForms(text: string, span: SigSpan): EnvelopeForms {
  const bytes = Buffer.from(EVENT_PREFIX + text);
  const hash = sha256HexOf(bytes.subarray(EVENT_PREFIX.length));
  const ascii = bytes.length === EVENT_PREFIX.length + text.length;
  const byteAt = (i: number) => EVENT_PREFIX.length + (ascii ? i : Buffer.byteLength(text.slice(0, i)));
  const start = byteAt(span.start);
  const end = byteAt(span.end);
  bytes.copyWithin(start, end);
  return { signingInput: bytes.subarray(0, bytes.length - (end - start)), hash };
}

/** As parseEnvelopeText, from UTF-8 bytes; invalid UTF-8 is a StrictJsonError. */
export function parseEnvelopeBytes(bytes: Uint8Array): unknown {
  return parseEnvelopeText(decodeUtf8Strict(bytes));
}
