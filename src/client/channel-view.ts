/**
 * A participant's local, decrypted view of one channel: the log replayed through the
 * protocol's `check` + `evolve` (every signature, proof, chain link and rule verified on
 * the way), plus the content of each body this participant can open (commit checked).
 * Bodies from before its admission, or not addressed to it (a back channel), stay closed.
 * A body addressed to it that does not open (or whose commit does not match) is kept as
 * `bad_body`: its sender sealed it wrongly, what it says stays unknown, and callers warn of
 * it (DESIGN.md 1.5: the recipient reports `bad_body`). The rest of the log is verified as
 * ever: stopping here would let any sender lock a recipient out of the channel (it could
 * then no longer reject, cancel or read anything after), with one garbage key entry.
 * Pure: the events come from whoever fetched them.
 */
import { KeyObject } from 'node:crypto';
import {
  b64uDecode,
  ChannelState,
  Envelope,
  envelopeForms,
  evolve,
  firstViolation,
  initialState,
  openBody,
  x25519PrivateKey,
} from '../protocol';
import { ChannelIntegrityError } from './errors';

export type Readability =
  | 'opened' // content decrypted and its commit checked
  | 'no_body' // nothing was encrypted (TransferAgreed, or an optional body left out)
  | 'not_recipient' // a participant at the time, but not an addressee (a back channel)
  | 'before_admission' // from before this participant joined: closed by design
  | 'after_revocation' // this participant's key was revoked (or rotated) before it
  | 'bad_body'; // addressed to this participant, but it does not open: its sender sealed it wrongly

export interface ViewEntry {
  seq: number;
  hash: string;
  envelope: Envelope;
  readability: Readability;
  content: Record<string, unknown> | null;
  /** With `bad_body`: why the body did not open. */
  problem?: string;
}

export interface Reader {
  id: string;
  boxSecret: string;
}

export class ChannelView {
  readonly state: ChannelState = initialState();
  readonly entries: ViewEntry[] = [];
  /** Who reads: the id only. The secret is kept as a key object, which prints no key material. */
  readonly reader: { readonly id: string };
  private readonly key: KeyObject;

  constructor(
    readonly channel: string,
    reader: Reader,
  ) {
    const secret = b64uDecode(reader.boxSecret, 32);
    if (!secret) throw new Error('reader.boxSecret must be 32 bytes of b64u');
    this.key = x25519PrivateKey(secret);
    this.reader = { id: reader.id };
  }

  /** Verifies and applies the next event; throws ChannelIntegrityError and leaves the view as it was. */
  apply(input: unknown): ViewEntry {
    const found = firstViolation(this.state, input, { channel: this.channel });
    const env = input as Envelope;
    if (found) throw new ChannelIntegrityError(found.code, typeof env?.seq === 'number' ? env.seq : null, found.message);
    let readability = this.readability(env);
    let content: Record<string, unknown> | null = null;
    let problem: string | undefined;
    if (readability === 'opened') {
      const opened = openBody(env.body!, { id: this.reader.id, boxSecret: this.key });
      if (opened.ok) content = opened.content;
      else [readability, problem] = ['bad_body', opened.message];
    }
    evolve(this.state, env);
    const entry: ViewEntry = { seq: env.seq, hash: envelopeForms(env).hash, envelope: env, readability, content, ...(problem && { problem }) };
    this.entries.push(entry);
    return entry;
  }

  /** The decrypted content of the event at `seq`, when this participant could open it. */
  contentAt(seq: number | undefined): Record<string, unknown> | null {
    return seq === undefined ? null : (this.entries[seq]?.content ?? null);
  }

  private readability(env: Envelope): Readability {
    if (env.body === null) return 'no_body';
    if (env.body.keys.some((k) => k.to === this.reader.id)) return 'opened';
    // Before evolve: am I a participant already (then this one was not for me)?
    const me = this.state.participants.get(this.reader.id);
    if (!me) return 'before_admission';
    return me.active ? 'not_recipient' : 'after_revocation';
  }
}
