/**
 * The offline verifier: replays a log (several channels interleaved, in the order given)
 * through the decider and reports each channel's first violation (DESIGN.md 1.5). After a
 * channel's first violation the rest of that channel is unverified and not evolved.
 * Optionally, as a recipient, it opens every body addressed to it and checks `commit`.
 * Streaming: feed it one line or envelope at a time; memory grows with the channels (their
 * states, and a summary each) and the violations kept for the report, not with the events.
 */
import { KeyObject } from 'node:crypto';
import { b64uDecode, b64uEncode } from './encoding';
import { x25519KeyPair, x25519PrivateKey } from './crypto';
import { openBody, OpenResult, parseEnvelopeBytes, parseEnvelopeText } from './envelope';
import { ChannelState, initialState } from './negotiation/channel-state';
import { CheckOptions, firstViolation } from './negotiation/check';
import { evolve } from './negotiation/evolve';
import { requiredRecipients } from './negotiation/recipients';
import type { Envelope } from './types';
import { violation, Violation, ViolationCode } from './violations';

/**
 * A line of JSON whitespace only (space, tab, CR: the line feed ends it), which a log's reader
 * skips. As bytes, A0 (a no-break space in latin1) is not blank: it is no UTF-8 at all.
 */
export function isBlankLine(line: string | Uint8Array): boolean {
  return typeof line === 'string' ? BLANK.test(line) : line.every((b) => b === 0x20 || b === 0x09 || b === 0x0d);
}

// Once, not a new RegExp at every line of a log being verified.
const BLANK = /^[ \t\r]*$/;

export interface LogViolation {
  channel: string | null;
  seq: number | null;
  code: ViolationCode;
  message: string;
  /** 1-based position of the offending item in the input. */
  index: number;
}

export interface ChannelSummary {
  channel: string;
  /** Events of this channel in the log, verified or not. */
  events: number;
  /** Hash of the last verified event (64 zeros if none). */
  head: string;
  verified: number;
  /**
   * Read only. Every channel of the log none of whose events verified shares one empty
   * state (a hostile log may name a great many), so a change made to it would show in all.
   */
  state: ChannelState;
  /** With VerifierOptions.pins: the hash of this channel's verified event at its pinned seq, once reached. */
  pinned?: string;
}

export interface LogReport {
  ok: boolean;
  events: number;
  channels: ChannelSummary[];
  violations: LogViolation[];
}

export interface VerifierOptions {
  /** Open and check every body addressed to this participant (an auditor with `auditorsRead`). */
  reader?: { id: string; boxSecret: string };
  /**
   * The log is this one channel's stream (a server's audit of a channel): every line is
   * checked as part of it, and one that names another channel is `wrong_channel` (1.5 rule
   * 2, as at append) instead of the start of another channel's log.
   */
  channel?: string;
  /**
   * Channel → a seq whose event's hash the summary reports (`pinned`), for a reader that
   * remembers an event it verified earlier and must find it again in this log.
   */
  pins?: ReadonlyMap<string, number>;
}

/** Results computed ahead for one input (by the auditor's worker threads); each must equal what `add` computes. */
export interface AddHints {
  verifySignature?: CheckOptions['verifySignature'];
  /** The reader's opening of this envelope's body. */
  opened?: OpenResult;
}

interface ChannelRun {
  summary: ChannelSummary;
  failed: boolean;
  /** The pinned seq, or -1. */
  pin: number;
}

export class LogVerifier {
  private readonly channels = new Map<string, ChannelRun>();
  private readonly violations: LogViolation[] = [];
  private events = 0;
  private readonly reader?: { id: string; key: KeyObject; boxKey: string };
  private readonly channel?: string;
  private readonly pins?: ReadonlyMap<string, number>;
  /**
   * The state of every channel none of whose events verified yet, shared: a hostile log of
   * junk lines naming distinct channels costs a summary each, not a state each (about 1.2 KB
   * of empty maps and sets). Never evolved: a channel gets a state of its own at its first
   * verified event. Read only, as every summary's state is for the report's reader.
   */
  private readonly unstarted = initialState();

  constructor(options: VerifierOptions = {}) {
    this.channel = options.channel;
    this.pins = options.pins;
    if (options.reader) {
      const secret = b64uDecode(options.reader.boxSecret, 32);
      if (!secret) throw new Error('reader.boxSecret must be 32 bytes of b64u');
      this.reader = { id: options.reader.id, key: x25519PrivateKey(secret), boxKey: b64uEncode(x25519KeyPair(secret).publicKey) };
    }
  }

  /** One NDJSON line. Blank lines (JSON's whitespace only) are skipped. */
  addLine(line: string): void {
    if (isBlankLine(line)) return;
    this.addParsed(() => parseEnvelopeText(line));
  }

  /** One NDJSON line as bytes: invalid UTF-8 is malformed, not replaced. */
  addLineBytes(line: Uint8Array): void {
    if (isBlankLine(line)) return;
    this.addParsed(() => parseEnvelopeBytes(line));
  }

  private addParsed(parse: () => unknown): void {
    let value: unknown;
    try {
      value = parse();
    } catch (err) {
      // A line of no channel; in one channel's stream (options.channel) that channel's.
      this.addChecked(null, {}, violation('malformed', (err as Error).message));
      return;
    }
    this.add(value);
  }

  add(input: unknown, hints: AddHints = {}): void {
    this.addChecked(input, hints, null);
  }

  /** `refused`: the input's violation when it is already known (a line that does not parse). */
  private addChecked(input: unknown, hints: AddHints, refused: Violation | null): void {
    const index = ++this.events;
    const rec = (typeof input === 'object' && input !== null ? input : {}) as Partial<Envelope>;
    const channelId = this.channel ?? (typeof rec.channel === 'string' ? rec.channel : null);
    const seq = Number.isSafeInteger(rec.seq) ? (rec.seq as number) : null;
    const run = channelId === null ? null : this.channelRun(channelId);
    if (run) run.summary.events++;
    if (run?.failed) return; // unverified after the channel's first violation
    const state = run ? run.summary.state : this.unstarted;
    const found = refused ?? firstViolation(state, input, { channel: this.channel, verifySignature: hints.verifySignature });
    if (found) {
      this.violations.push({ channel: channelId, seq, ...found, index });
      if (run) run.failed = true;
      return;
    }
    const env = input as Envelope;
    if (this.reader && env.body && this.readsAsReader(state, env)) {
      const opened = hints.opened ?? openBody(env.body, { id: this.reader.id, boxSecret: this.reader.key });
      if (!opened.ok) {
        this.violations.push({ channel: channelId, seq, code: 'bad_body', message: opened.message, index });
        run!.failed = true;
        return;
      }
    }
    const own = state === this.unstarted ? (run!.summary.state = initialState()) : state;
    evolve(own, env);
    run!.summary.head = own.head;
    run!.summary.verified++;
    if (env.seq === run!.pin) run!.summary.pinned = own.head;
  }

  /**
   * Whether the body is addressed to the reader's own key: the same participant id may be
   * someone else in another channel of the log, whose bodies the reader cannot open.
   */
  private readsAsReader(state: ChannelState, env: Envelope): boolean {
    const { id, boxKey } = this.reader!;
    return env.body!.keys.some((k) => k.to === id) && requiredRecipients(state, env).some((r) => r.id === id && r.boxKey === boxKey);
  }

  private channelRun(channel: string): ChannelRun {
    let run = this.channels.get(channel);
    if (!run) {
      const state = this.unstarted;
      run = { summary: { channel, events: 0, head: state.head, verified: 0, state }, failed: false, pin: this.pins?.get(channel) ?? -1 };
      this.channels.set(channel, run);
    }
    return run;
  }

  report(): LogReport {
    return {
      ok: this.violations.length === 0,
      events: this.events,
      channels: [...this.channels.values()].map((r) => r.summary),
      violations: [...this.violations],
    };
  }
}

/** Verifies a whole NDJSON text or list of envelopes at once. */
export function verifyLog(input: string | unknown[], options?: VerifierOptions): LogReport {
  const v = new LogVerifier(options);
  if (typeof input === 'string') for (const line of input.split('\n')) v.addLine(line);
  else for (const env of input) v.add(env);
  return v.report();
}
