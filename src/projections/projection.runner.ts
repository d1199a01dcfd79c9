/**
 * The catch-up subscription that keeps the read models: it follows the store's global log
 * from the stored checkpoint, folds each event into its channel's state with the protocol's
 * rules and `evolve` (foldStored), and commits the changed rows of a batch of events
 * together with the new checkpoint in one transaction. Restarting anywhere (even between a
 * batch's fold and its commit) resumes from the committed checkpoint with states rebuilt
 * from the streams.
 */
import type { Violation } from '../protocol';
import {
  channelOfStream,
  comparePositions,
  type EventStore,
  type RecordedEvent,
  type Subscription,
} from '../store/event-store.port';
import { CachedChannel, ProjectionStateCache } from './projection-state.cache';
import { READ_MODEL_VERSION } from './read-model-rows';
import { CheckpointConflictError, emptyChanges, type ReadModelStore } from './read-model-store.port';
import { collectRowChanges, WrittenRows } from './row-changes';

export interface ProjectionRunnerOptions {
  /** Most events folded into one transaction (default 500). */
  batchSize?: number;
  /** Channel states kept in memory (default 10,000). */
  maxChannels?: number;
  /** Called with the estimated number of events not yet projected. */
  onLag?: (eventsBehind: number) => void;
  /** Errors the runner recovers from (it retries after a pause). */
  onError?: (error: unknown) => void;
  /** A channel whose stored log breaks the rules at `seq`: its read models stay as before that event. */
  onStoppedChannel?: (channel: string, seq: number, violation: Violation) => void;
  /** The tables were written by another version of the projection (or by none): emptied, to be projected again from 0. */
  onRebuild?: (version: string) => void;
}

const IDLE = Symbol('idle');
const nextTurn = () => new Promise<typeof IDLE>((resolve) => setImmediate(() => resolve(IDLE)));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const HEAD_PAGE = 1000;
const HEAD_PAGES = 4;

export class ProjectionRunner {
  private position: string | null = null;
  private knownHead: string | null = null;
  private subscription: Subscription | null = null;
  private loop: Promise<void> | null = null;
  private running = false;
  private readonly states: ProjectionStateCache;
  private readonly batchSize: number;
  private waiters: (() => void)[] = [];
  /** Back-off after a failure; back to the start after a committed batch. */
  private pause = 50;

  constructor(
    private readonly store: EventStore,
    private readonly readModels: ReadModelStore,
    private readonly options: ProjectionRunnerOptions = {},
  ) {
    this.batchSize = options.batchSize ?? 500;
    this.states = new ProjectionStateCache(store, { maxChannels: options.maxChannels, onStopped: options.onStoppedChannel });
  }

  /** The position of the last event this runner committed. */
  get checkpoint(): string | null {
    return this.position;
  }

  async start(): Promise<void> {
    if (this.running) return;
    await this.readModels.init();
    if (await this.readModels.resetUnlessVersion(READ_MODEL_VERSION)) this.options.onRebuild?.(READ_MODEL_VERSION);
    this.position = await this.readModels.checkpoint();
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.subscription?.close();
    await this.loop;
    this.loop = null;
    this.wake();
  }

  /** Empties the read models and projects the whole log again from position 0. */
  async rebuild(): Promise<void> {
    await this.stop();
    await this.readModels.reset();
    this.states.clear();
    await this.start();
  }

  /**
   * Read-your-writes: resolves true once the read models include every event that was in
   * the log when it was called, false if that takes longer than `timeoutMs` — or at once,
   * with `giveUpWhenFar`, when thousands of events are still to project (a rebuild, say:
   * no request could wait that long).
   */
  async catchUp(timeoutMs = 2000, options: { giveUpWhenFar?: boolean } = {}): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { target, far } = await this.logHead(await this.readModels.checkpoint());
      if (target === null) return true;
      if (far && options.giveUpWhenFar) return false;
      if (!(await this.reach(target, deadline))) return false;
      if (!far) return true;
    }
  }

  private async reach(target: string, deadline: number): Promise<boolean> {
    for (;;) {
      if (this.position !== null && comparePositions(this.position, target) >= 0) return true;
      // Another instance may be the one projecting (PostgreSQL): its commits count too.
      const committed = await this.readModels.checkpoint();
      if (committed !== null && comparePositions(committed, target) >= 0) return true;
      const left = deadline - Date.now();
      if (left <= 0) return false;
      await this.progress(Math.min(left, 25));
    }
  }

  /**
   * Learns the log's end from the store, for the lag gauge: appends of other processes (the
   * other instances on one PostgreSQL schema) reach it no other way until they are projected.
   */
  async refreshLag(): Promise<void> {
    const end = await this.store.logEnd();
    if (end !== undefined) this.noteAppended(end);
  }

  /** An append this process made: lets the lag gauge know the log grew. */
  noteAppended(position: string): void {
    if (this.knownHead === null || comparePositions(position, this.knownHead) > 0) this.knownHead = position;
    this.reportLag();
  }

  /**
   * The last position in the log, found by paging from the furthest checkpoint known; `far`
   * when it is more than HEAD_PAGES pages on (the search stops there). Positions only: a
   * query behind thousands of megabyte envelopes must not load them to learn it is behind.
   * (Not the store's logEnd: on EventStoreDB that may be a nonce's, which no projection reaches.)
   */
  private async logHead(stored: string | null): Promise<{ target: string | null; far: boolean }> {
    let from = this.position;
    if (stored !== null && (from === null || comparePositions(stored, from) > 0)) from = stored;
    let last = from;
    for (let page = 0; page < HEAD_PAGES; page++) {
      const events = await this.store.readAll(last ?? undefined, HEAD_PAGE, { withoutData: true });
      if (events.length > 0) last = events[events.length - 1].position;
      if (events.length < HEAD_PAGE) {
        if (last !== null) this.noteAppended(last);
        return { target: last, far: false };
      }
    }
    if (last !== null) this.noteAppended(last);
    return { target: last, far: true };
  }

  private async run(): Promise<void> {
    while (this.running) {
      try {
        this.subscription = this.store.subscribeToAll(this.position ?? undefined, { batchSize: this.batchSize });
        await this.consume(this.subscription);
      } catch (error) {
        if (!this.running) break;
        if (error instanceof CheckpointConflictError) {
          // Another instance projected these events first. Folds stay valid (a channel whose
          // fold ran ahead of the stored checkpoint is re-read from its stream when next met).
          this.states.forgetWritten();
        } else {
          // Folds may be ahead of what was stored: forget them and resume from the stored checkpoint.
          this.states.clear();
          this.options.onError?.(error);
          await sleep(this.pause);
          this.pause = Math.min(this.pause * 2, 5000);
        }
        this.position = await this.readModels.checkpoint().catch(() => this.position);
      } finally {
        await this.subscription?.close();
        this.subscription = null;
      }
    }
  }

  /** Pulls events while they come without waiting, then commits them as one batch. */
  private async consume(subscription: Subscription): Promise<void> {
    const events = subscription[Symbol.asyncIterator]();
    let pending = events.next();
    while (this.running) {
      const first = await pending;
      if (first.done) return;
      const batch: RecordedEvent[] = [first.value];
      pending = events.next();
      while (batch.length < this.batchSize) {
        const more = await Promise.race([pending, nextTurn()]);
        if (more === IDLE) break;
        if (more.done) break;
        batch.push(more.value);
        pending = events.next();
      }
      if (!this.running) return;
      await this.apply(batch);
      // A turn of the event loop between batches: SQLite reads and commits are synchronous, so
      // a long catch-up (a rebuild, a start behind a large log) would otherwise keep the server
      // from accepting connections, health checks included, until it ended.
      await nextTurn();
    }
  }

  private async apply(batch: RecordedEvent[]): Promise<void> {
    const touched = new Map<string, CachedChannel>();
    for (const event of batch) {
      const channel = channelOfStream(event.stream);
      if (channel === null) continue; // not a channel stream: nothing to project
      const entry = touched.get(channel) ?? (await this.states.before(channel, event.revision));
      if (entry.stopped) continue;
      if (entry.state.nextSeq !== event.revision) throw new Error(`${event.stream}: expected revision ${entry.state.nextSeq}, got ${event.revision}`);
      if (this.states.fold(channel, entry, event.revision, event.data)) touched.set(channel, entry);
    }
    const changes = emptyChanges();
    const written = new Map<CachedChannel, WrittenRows>();
    for (const entry of touched.values()) written.set(entry, collectRowChanges(entry.state, entry.written, changes));
    const to = batch[batch.length - 1].position;
    await this.readModels.commit(changes, this.position, to);
    for (const [entry, rows] of written) entry.written = rows;
    this.position = to;
    this.pause = 50;
    this.noteAppended(to);
    this.wake();
  }

  private progress(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  /** Events behind, estimated from numeric positions (both SQL adapters number their log). */
  private reportLag(): void {
    if (!this.options.onLag || this.knownHead === null) return;
    const head = Number(this.knownHead);
    const at = this.position === null ? 0 : Number(this.position);
    if (Number.isFinite(head) && Number.isFinite(at)) this.options.onLag(Math.max(0, head - at));
  }
}
