/**
 * One participant working in one channel against a server: keeps the local view caught
 * up, and submits events — checked locally first (the rule's message without a round
 * trip), then re-read and re-signed on a chain conflict (409) a bounded number of times.
 */
import { randomUUID } from 'node:crypto';
import {
  canonical,
  CHAIN_CONFLICT_CODES,
  ChannelState,
  Envelope,
  EventType,
  eventHash,
  firstViolation,
  LogReport,
  LogViolation,
  parseStrictJson,
  violation,
  Violation,
  ViolationCode,
} from '../protocol';
import { ChannelView, ViewEntry } from './channel-view';
import { ApiError, AppendOutcomeUnknownError, ChannelIntegrityError, RetriesExhaustedError, RuleViolationError, ServerUnreachableError, UnexpectedResponseError } from './errors';
import { buildEnvelope, Draft } from './event-drafts';
import { AppendResult, ParleyHttpClient, StreamOptions } from './http-client';
import type { SeenEvent } from './keystore';

/** How many events a sync verifies between two calls of its onProgress. */
export const SYNC_PROGRESS_EVERY = 250;

export interface Member {
  id: string;
  signSeed: string;
  boxSecret: string;
}

export interface Submitted<T extends EventType = EventType> extends AppendResult {
  envelope: Envelope<T>;
  attempts: number;
}

export interface SubmitOptions {
  /** At least this many attempts in all, the first included (default 5)... */
  attempts?: number;
  /**
   * ...and for at least this long (default 30 s): a busy channel's head can move under more
   * than a few quick attempts, and a server restarting after an append of unknown outcome
   * takes seconds. Retrying stops when both are spent.
   */
  retryForMs?: number;
}

export const DEFAULT_SUBMIT_ATTEMPTS = 5;
export const DEFAULT_RETRY_FOR_MS = 30_000;

export class ChannelSession {
  readonly view: ChannelView;
  /** Who submits: the id only. */
  readonly member: { readonly id: string };
  /** The keys, in a private field: console.log, util.inspect and JSON.stringify of a session never show them. */
  readonly #member: Member;

  constructor(
    readonly http: ParleyHttpClient,
    member: Member,
    readonly channel: string,
  ) {
    this.#member = member;
    this.member = { id: member.id };
    this.view = new ChannelView(channel, { id: member.id, boxSecret: member.boxSecret });
  }

  get state(): ChannelState {
    return this.view.state;
  }

  /** Reads and verifies every event the view does not have yet; `onProgress` hears the count every SYNC_PROGRESS_EVERY. */
  async sync(options: { onProgress?: (verified: number) => void } = {}): Promise<number> {
    let added = 0;
    for await (const { envelope } of this.http.events(this.channel, { from: this.view.state.nextSeq })) {
      this.view.apply(envelope);
      if (++added % SYNC_PROGRESS_EVERY === 0) options.onProgress?.(added);
    }
    return added;
  }

  /**
   * Follows the channel live (Server-Sent Events) from the view's head: each new event
   * strictly parsed, verified and applied to the view, then yielded; what the raw
   * `http.stream` gives is none of that. Reconnects as `http.stream` does, until `signal`
   * aborts. Throws ChannelIntegrityError for an event that does not verify, for a replayed
   * event (a reconnect's) that is not the one verified before (two histories), and, with the
   * server's 400 as its cause, when the server no longer holds the last event the view
   * verified (restored from an older backup). Call after sync, or from an empty view.
   */
  async *follow(options: Pick<StreamOptions, 'signal' | 'onConnection' | 'idleMs'> = {}): AsyncGenerator<ViewEntry> {
    const lastEventId = this.view.state.nextSeq > 0 ? String(this.view.state.nextSeq - 1) : null;
    try {
      for await (const msg of this.http.stream(this.channel, { ...options, lastEventId })) {
        if (msg.event !== 'envelope') continue;
        let env: Envelope;
        try {
          env = parseStrictJson(msg.data) as unknown as Envelope;
        } catch (err) {
          throw new UnexpectedResponseError(`the stream sent data that is not strict JSON: ${(err as Error).message}`);
        }
        const verified = Number.isSafeInteger(env.seq) && env.seq >= 0 ? this.view.entries[env.seq] : undefined;
        if (verified) {
          checkRemembered(eventHash(env), { seq: verified.seq, hash: verified.hash }, this.channel);
          continue;
        }
        yield this.view.apply(env);
      }
    } catch (err) {
      // The stream resumes after the last seq verified (Last-Event-ID, always digits): a 400
      // then means the server no longer holds it.
      if (err instanceof ApiError && err.status === 400 && this.view.entries.length > 0) {
        throw new ChannelIntegrityError('seq_gap', this.view.entries.length - 1, err.message, { cause: err });
      }
      throw err;
    }
  }

  /**
   * Throws ChannelIntegrityError unless the view holds `seen` — the last event an earlier
   * sync verified — at its seq: a server serving a log that forks from it, or ends before
   * it, is not serving the channel this participant saw (call after sync).
   */
  checkContinues(seen: { seq: number; hash: string }): void {
    checkRemembered(this.view.entries[seen.seq]?.hash ?? null, seen);
  }

  /**
   * Opens the channel: the ChannelOpened at seq 0. Nothing to catch up with (the server
   * knows no key of this channel yet) and nothing to re-sign onto if someone was first.
   */
  async open(d: Draft<'ChannelOpened'>): Promise<Submitted<'ChannelOpened'>> {
    if (this.view.state.nextSeq !== 0) throw new RuleViolationError(violation('invalid_transition', 'this channel is open already'));
    try {
      return await this.send(buildEnvelope(this.view.state, this.#member, d, { channel: this.channel }), 1);
    } catch (err) {
      // The server's 409 for a seq 0 that is not next: this channel id was opened before.
      const taken = err instanceof ApiError && err.status === 409 && err.code === 'seq_gap';
      // By this very member, on these very terms (an earlier attempt whose answer was lost): done.
      if (taken || err instanceof AppendOutcomeUnknownError) {
        const earlier = await this.ownOpening(d).catch(() => null);
        if (earlier) return earlier;
      }
      if (taken) {
        const head = (err as ApiError).body.head as { seq?: unknown } | undefined;
        const held = typeof head?.seq === 'number' ? ` (its log holds ${head.seq} event${head.seq === 1 ? '' : 's'})` : '';
        throw new RuleViolationError(violation('invalid_transition', `channel ${this.channel} is open already${held}: choose a new channel id`));
      }
      throw err;
    }
  }

  /**
   * The channel's stored opening if this member sent it with the same meta and content as
   * `d`: what a repeated `open` finds after its first attempt was stored but unanswered.
   * Null if the log cannot be read (no key of ours in it) or its opening is another.
   */
  private async ownOpening(d: Draft<'ChannelOpened'>): Promise<Submitted<'ChannelOpened'> | null> {
    await this.sync();
    const first = this.view.entries[0];
    if (!first || first.envelope.sender !== this.member.id || first.content === null) return null;
    if (canonical(first.envelope.meta) !== canonical(d.meta) || canonical(first.content) !== canonical(d.content)) return null;
    return { envelope: first.envelope as Envelope<'ChannelOpened'>, seq: 0, hash: first.hash, position: '', status: 200, attempts: 1 };
  }

  /**
   * Submits the draft `make(state)` returns, at the current head. The draft is made again
   * after every re-read, since what it refers to (a proposal's hash, the recipients) may
   * have changed; the envelope id stays, so an attempt that was stored is recognised.
   * Retried: a moved head (409), and an append whose outcome is unknown — no answer, or a
   * 5xx (a proxy's, or the server's after its store committed): the next attempt's read
   * shows whether it was stored. Before giving up, the log is read once more for it.
   */
  async submit<T extends EventType>(make: (state: ChannelState) => Draft<T>, options: SubmitOptions = {}): Promise<Submitted<T>> {
    const minAttempts = options.attempts ?? DEFAULT_SUBMIT_ATTEMPTS;
    const until = Date.now() + (options.retryForMs ?? DEFAULT_RETRY_FOR_MS);
    const id = randomUUID();
    let last: Error | null = null;
    let unknown: AppendOutcomeUnknownError | null = null;
    let attempt = 0;
    while (attempt < minAttempts || Date.now() < until) {
      attempt++;
      try {
        await this.sync();
        const stored = this.findOwn<T>(id);
        if (stored) return { ...stored, attempts: attempt - 1, status: 200 };
        unknown = null; // the read answered and the event is not there: it was not stored
        return await this.send(buildEnvelope(this.view.state, this.#member, make(this.view.state), { id, channel: this.channel }), attempt);
      } catch (err) {
        // A read that fails after an append of unknown outcome leaves it unknown: said so, not
        // as a refusal, which would have the user send the event again.
        if (unknown && err instanceof ApiError && !isRetryable(err)) throw new AppendOutcomeUnknownError(unknown.server, err, unknown.envelopeId);
        this.checkHeadNotBehind(err);
        if (!isRetryable(err)) throw err;
        if (err instanceof AppendOutcomeUnknownError) unknown = err;
        // Unreachable before anything went out: nothing to find out, so say so at once.
        else if (err instanceof ServerUnreachableError && !unknown) throw err;
        last = err as Error;
        if (attempt < minAttempts || Date.now() < until) await jitter(attempt);
      }
    }
    // A 409 duplicate_id for our own fresh id, or an unknown outcome: an attempt may have
    // landed after the read that preceded the last one.
    const stored = await this.sync().then(
      () => this.findOwn<T>(id),
      () => null,
    );
    if (stored) return { ...stored, attempts: attempt, status: 200 };
    if (last instanceof ApiError && last.status === 409) throw new RetriesExhaustedError(attempt, last);
    throw unknown ?? last!;
  }

  /**
   * A chain conflict whose head is not this view's or ahead of it: the server's log lacks
   * events this session verified from it or had acknowledged (a restore from an older backup,
   * a store rolled back, a lying server), shorter than the view or as long but ending in
   * another event (someone appended at the lost seq). No retry can fix that, and none may be
   * told "nothing was stored". A head ahead is for the next sync to verify.
   */
  private checkHeadNotBehind(err: unknown): void {
    if (!(err instanceof ApiError) || err.status !== 409) return;
    const head = err.body.head as { seq?: unknown; prev?: unknown } | undefined;
    const held = this.view.state.nextSeq;
    if (typeof head?.seq !== 'number' || head.seq > held) return;
    const holds = `while this session holds events up to seq ${held - 1}, verified or acknowledged`;
    if (head.seq < held) {
      throw new ChannelIntegrityError('seq_gap', head.seq, `the server's log of channel ${this.channel} ends before seq ${head.seq}, ${holds}: events are missing (restored from an older backup, or rolled back)`);
    }
    if (head.prev !== this.view.state.head) {
      throw new ChannelIntegrityError('prev_mismatch', held - 1, `the server's log of channel ${this.channel} holds another event at seq ${held - 1} than the one this session holds, verified or acknowledged: a forked channel (restored from an older backup, then appended to?)`);
    }
  }

  /** Checks locally (the rule's message without a round trip), appends, and applies to the view. */
  private async send<T extends EventType>(env: Envelope<T>, attempt: number): Promise<Submitted<T>> {
    const local = firstViolation(this.view.state, env, { channel: this.channel });
    if (local) throw new RuleViolationError(local);
    let result: AppendResult;
    try {
      result = await this.http.append(env);
    } catch (err) {
      // A refused connection never delivered the request; anything else may have been stored.
      if (err instanceof ServerUnreachableError && err.reason !== 'ECONNREFUSED') throw new AppendOutcomeUnknownError(err.server, err, env.id);
      // So may an append answered 5xx: a proxy's timeout, or the server failing after its store committed.
      if (err instanceof ApiError && err.status >= 500) throw new AppendOutcomeUnknownError(this.http.server, err, env.id);
      throw err;
    }
    // The seq and hash are the envelope's own, computed here: the server's answer could name others.
    // A follow() on this session may have applied this very event already, its stream faster than the answer.
    const held = this.view.entries[env.seq];
    const entry = held && held.hash === eventHash(env) ? held : this.view.apply(env);
    return { position: result.position, status: result.status, seq: entry.seq, hash: entry.hash, envelope: env, attempts: attempt };
  }

  /** The violation `d` would meet if submitted now, checked locally (the draft is built and signed, not sent). */
  precheck<T extends EventType>(d: Draft<T>): Violation | null {
    const env = buildEnvelope(this.view.state, this.#member, d, { channel: this.channel });
    return firstViolation(this.view.state, env, { channel: this.channel });
  }

  /** Polls until `predicate(state)` holds (the notary's TransferAgreed, say) or the time is up. */
  async waitFor(predicate: (state: ChannelState) => boolean, options: { timeoutMs: number; intervalMs?: number }): Promise<boolean> {
    const deadline = Date.now() + options.timeoutMs;
    for (;;) {
      await this.sync();
      if (predicate(this.view.state)) return true;
      if (Date.now() >= deadline) return false;
      await new Promise((r) => setTimeout(r, options.intervalMs ?? 250));
    }
  }

  private findOwn<T extends EventType>(id: string): Omit<Submitted<T>, 'attempts' | 'status'> | null {
    if (!this.view.state.ids.has(id)) return null;
    const entry = this.view.entries.find((e) => e.envelope.id === id)!;
    // The global position is not in the stream; the seq and hash are what matter to the author.
    return { envelope: entry.envelope as Envelope<T>, seq: entry.seq, hash: entry.hash, position: '' };
  }
}

function isRetryable(err: unknown): boolean {
  if (err instanceof ServerUnreachableError) return true;
  if (!(err instanceof ApiError)) return false;
  // Any 5xx of a read (a proxy's 502 or 504, a server failing for a moment) may pass: the
  // appends' own 5xx are AppendOutcomeUnknownError, decided by the next read.
  return err.status >= 500 || (err.status === 409 && CHAIN_CONFLICT_CODES.includes(err.code as ViolationCode));
}

/** Backoff with full jitter, so two racing clients do not collide again in lockstep; at most 2 s. */
function jitter(attempt: number): Promise<void> {
  const ms = Math.random() * Math.min(2000, 25 * 2 ** attempt);
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Why a served log does not hold `seen`, the event verified here earlier, or null if it
 * does: `hashAtSeq` is the hash of the log's event at `seen.seq`, null when the log ended
 * before it. `log` names the log in the message.
 */
function rememberedProblem(hashAtSeq: string | null, seen: { seq: number; hash: string }, log: string): Violation | null {
  if (hashAtSeq === null) return violation('seq_gap', `${log} ends before seq ${seen.seq}, which this keystore verified earlier: events are missing`);
  if (hashAtSeq !== seen.hash) return violation('prev_mismatch', `${log} differs at seq ${seen.seq} from the one this keystore verified earlier: a forked channel`);
  return null;
}

/**
 * Throws ChannelIntegrityError unless a served log holds `seen` (rememberedProblem). Also for
 * commands that read a log without a session (export).
 */
export function checkRemembered(hashAtSeq: string | null, seen: { seq: number; hash: string }, channel?: string): void {
  const problem = rememberedProblem(hashAtSeq, seen, channel === undefined ? "the server's log" : `the server's log of channel ${channel}`);
  if (problem) throw new ChannelIntegrityError(problem.code, seen.seq, problem.message);
}

/** What a keystore remembers (`seen`) of one channel, or of every channel when `channel` is null. */
export function rememberedOf(seen: Record<string, SeenEvent> | undefined, channel: string | null): Record<string, SeenEvent> {
  if (!seen) return {};
  if (channel === null) return seen;
  return Object.hasOwn(seen, channel) ? { [channel]: seen[channel] } : {};
}

/** The pins for a LogVerifier (VerifierOptions.pins) that let checkRememberedIn check `seen`. */
export function pinsOf(seen: Record<string, SeenEvent>): Map<string, number> {
  return new Map(Object.entries(seen).map(([channel, event]) => [channel, event.seq]));
}

/**
 * Where an audited log, verified with pinsOf(seen), fails what this keystore remembers: the
 * violations to add to its report (`seq_gap` if a channel's log ends before its remembered
 * event, `prev_mismatch` if it holds another event there). A channel that already has a
 * violation is passed over (that is the verdict; what follows is unverified), and so is one
 * the log does not hold at all: returned in `absent`, for the caller to say (with --all the
 * keystore may remember channels of another server).
 */
export function rememberedViolations(report: LogReport, seen: Record<string, SeenEvent>): { violations: LogViolation[]; absent: string[] } {
  const violations: LogViolation[] = [];
  const absent: string[] = [];
  for (const [channel, event] of Object.entries(seen)) {
    if (report.violations.some((v) => v.channel === channel)) continue;
    const summary = report.channels.find((c) => c.channel === channel);
    if (!summary) {
      absent.push(channel);
      continue;
    }
    const problem = rememberedProblem(summary.pinned ?? null, event, 'the log');
    // After the log's own violations: found once it was read.
    if (problem) violations.push({ channel, seq: event.seq, index: report.events + violations.length + 1, ...problem });
  }
  return { violations, absent };
}
