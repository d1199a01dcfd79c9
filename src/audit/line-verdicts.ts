/**
 * The stateless half of an audit, done ahead of the ordered replay (in worker threads):
 * strict parsing, the canonical forms, a speculative signature verify and the reader's
 * body opening. Nothing here decides anything: the replay (LogVerifier) still runs every
 * rule in order, takes a verdict only for the very key the channel state names for the
 * sender, and verifies itself otherwise.
 */
import {
  EnvelopeForms,
  envelopeForms,
  openBody,
  OpenResult,
  parseEnvelopeBytes,
  verifyEnvelopeSignature,
} from '../protocol';
import type { Envelope } from '../protocol';
import type { KeyObject } from 'node:crypto';

/** What the replay needs of one NDJSON line. */
export interface LineVerdicts {
  /**
   * The line's text when it parsed strictly, else null and `raw` holds its bytes: the replay
   * then runs the line itself (blank lines, malformed lines), so that every message about
   * it is the verifier's own.
   */
  text: string | null;
  raw: Uint8Array | null;
  /** hex event hash (empty when `text` is null). */
  hash: string;
  /** The signKey the signature was checked against, or null when none was known. */
  signKey: string | null;
  signatureOk: boolean;
  /** The reader's opening: null when not tried, true when it opened and committed, else why not. */
  opened: true | string | null;
}

/** Sign keys by channel and participant id ('notary' for the channel's notary), as the log claims them. */
export class ClaimedKeys {
  private readonly byChannel = new Map<string, Map<string, string>>();

  get(channel: string, sender: string): string | undefined {
    return this.byChannel.get(channel)?.get(sender);
  }

  /** First claim wins: a refused claim can cost a re-verify in the replay, never a verdict. */
  learn(channel: string, entries: [string, string][]): void {
    let keys = this.byChannel.get(channel);
    if (!keys) this.byChannel.set(channel, (keys = new Map()));
    for (const [id, key] of entries) if (!keys.has(id)) keys.set(id, key);
  }
}

const str = (x: unknown): x is string => typeof x === 'string';

function entryOf(p: unknown): [string, string][] {
  const rec = p as { id?: unknown; signKey?: unknown } | null;
  return rec && str(rec.id) && str(rec.signKey) ? [[rec.id, rec.signKey]] : [];
}

/**
 * The sign keys an event introduces, if it claims any (ChannelOpened, ParticipantAdmitted,
 * a revocation with a replacement): unchecked, only hints for where to look first.
 */
export function claimedKeysOf(value: unknown): { channel: string; entries: [string, string][] } | null {
  const env = value as Partial<Envelope> & { meta?: Record<string, unknown> };
  if (!str(env.channel) || !env.meta || typeof env.meta !== 'object') return null;
  let entries: [string, string][] = [];
  if (env.type === 'ChannelOpened') {
    const { participants, notary } = env.meta as { participants?: unknown; notary?: { signKey?: unknown } };
    if (Array.isArray(participants)) entries = participants.flatMap(entryOf);
    if (notary && str(notary.signKey)) entries.push(['notary', notary.signKey]);
  } else if (env.type === 'ParticipantAdmitted') {
    entries = entryOf(env.meta.participant);
  } else if (env.type === 'ParticipantRevoked') {
    entries = entryOf(env.meta.replacement);
  }
  return entries.length ? { channel: env.channel, entries } : null;
}

export interface Reader {
  id: string;
  /** The reader's X25519 secret, imported once (x25519PrivateKey). */
  boxSecret: KeyObject;
}

/** Everything about one line that does not depend on the order of the log. */
export function lineVerdicts(line: Uint8Array, keys: ClaimedKeys, reader?: Reader): LineVerdicts {
  let value: unknown;
  try {
    value = parseEnvelopeBytes(line);
  } catch {
    return { text: null, raw: line, hash: '', signKey: null, signatureOk: false, opened: null };
  }
  const env = value as Envelope;
  const forms = envelopeForms(env);
  const claimed = claimedKeysOf(env);
  if (claimed) keys.learn(claimed.channel, claimed.entries);
  const signKey = str(env.channel) && str(env.sender) ? keys.get(env.channel, env.sender) ?? null : null;
  const signatureOk = signKey !== null && verifyEnvelopeSignature(env, signKey);
  let opened: LineVerdicts['opened'] = null;
  if (reader && Array.isArray(env.body?.keys) && env.body.keys.some((k) => k?.to === reader.id)) {
    try {
      const result = openBody(env.body, reader);
      opened = result.ok ? true : result.message;
    } catch {
      opened = null; // a body of the wrong shape: the replay refuses it before any opening
    }
  }
  return { text: Buffer.from(line).toString('utf8'), raw: null, hash: forms.hash, signKey, signatureOk, opened };
}

/** The replay's view of a line's verdicts: forms and hints for LogVerifier.add. */
export function openedResult(opened: true | string): OpenResult {
  // The content itself is not needed by the replay, only the verdict.
  return opened === true ? { ok: true, content: {}, plaintext: '' } : { ok: false, reason: 'bad_body', message: opened };
}

export type { EnvelopeForms };
