/**
 * Channel states for the projections (and the notary), kept in memory, each caught up from
 * its own stream on demand, with the rows last written for each. (The append path keeps its
 * own, ChannelStateCache in src/channels: current states only, no rows, no folding to a revision.)
 *
 * The trade-off (issue 4): folded states are not persisted. After a restart, or when a
 * channel was evicted, its state is rebuilt from that channel's events alone (one read of
 * its stream up to the needed revision), never from the whole log. Restarts stay cheap for
 * many small channels and the read model tables stay the only persisted form; the price is
 * one stream replay per channel touched after a start. An LRU bounded by count and by weight
 * (channelStateWeight, StateCache) caps memory.
 */
import { channelStateWeight, MAX_CACHED_STATE_WEIGHT, StateCache } from '../common/channel-state-weight';
import { ChannelState, type FoldOptions, foldStoredText, initialState, type Violation } from '../protocol';
import { foldChannelStream, type RefusedEvent } from '../common/fold-channel-stream';
import { type EventStore } from '../store/event-store.port';
import { KeyedQueue } from '../common/keyed-queue';
import type { WrittenRows } from './row-changes';

export interface CachedChannel {
  state: ChannelState;
  /** Rows the projection last wrote for this channel (empty after a rebuild of the state). */
  written: WrittenRows;
  /**
   * The first stored event of the channel that the rules refuse (written past the service):
   * the state stays as it was before it, and the channel's later events are not folded.
   */
  stopped: RefusedEvent | null;
}

export interface ProjectionStateCacheOptions {
  maxChannels?: number;
  /** The bound on the cached states' weight (channelStateWeight). */
  maxWeight?: number;
  /** Told once per fold that stops a channel (a cached state evicted and folded again tells again). */
  onStopped?: (channel: string, seq: number, violation: Violation) => void;
  /** How stored events are checked as they are folded: the rules only, unless signature and proof checks are given (foldStored). */
  fold?: FoldOptions;
}

export class ProjectionStateCache {
  private readonly entries: StateCache<CachedChannel>;
  /** One fold at a time per channel: two concurrent reads of a stream must not both evolve. */
  private readonly queue = new KeyedQueue();
  private readonly onStopped?: ProjectionStateCacheOptions['onStopped'];
  private readonly foldOptions?: FoldOptions;

  constructor(
    private readonly store: EventStore,
    options: ProjectionStateCacheOptions = {},
  ) {
    this.entries = new StateCache(options.maxChannels ?? 10_000, options.maxWeight ?? MAX_CACHED_STATE_WEIGHT, (e) => channelStateWeight(e.state));
    this.onStopped = options.onStopped;
    this.foldOptions = options.fold;
  }

  /**
   * The channel's state with exactly its first `revision` events folded, ready for the
   * event at `revision`; reads from the store whatever the cache lacks.
   */
  before(channel: string, revision: number): Promise<CachedChannel> {
    return this.queue.run(channel, () => this.foldBefore(channel, revision));
  }

  /**
   * Runs `work` with the channel's state caught up to the store's head, holding the channel
   * so that no other fold changes the state meanwhile. The state is null if the channel has
   * no event, or if its folding stopped (`stopped` then says where and why).
   */
  withLatest<T>(channel: string, work: (state: ChannelState | null, stopped: RefusedEvent | null) => Promise<T>): Promise<T> {
    return this.queue.run(channel, async () => {
      const { state, stopped } = await this.foldLatest(channel);
      return work(state, stopped);
    });
  }

  private async foldBefore(channel: string, revision: number): Promise<CachedChannel> {
    let entry = this.touch(channel);
    if (!entry || entry.state.nextSeq > revision) entry = this.fresh(channel);
    await this.foldFromStore(channel, entry, revision);
    this.reweigh(channel, entry);
    if (!entry.stopped && entry.state.nextSeq !== revision) {
      this.entries.delete(channel);
      throw new Error(`channel ${channel}: its stream has ${entry.state.nextSeq} events, needed ${revision}`);
    }
    return entry;
  }

  private async foldLatest(channel: string): Promise<{ state: ChannelState | null; stopped: RefusedEvent | null }> {
    const entry = this.touch(channel) ?? this.fresh(channel);
    await this.foldFromStore(channel, entry, Number.MAX_SAFE_INTEGER);
    this.reweigh(channel, entry);
    // Nothing may be decided on a channel whose log breaks the rules.
    if (entry.stopped) return { state: null, stopped: entry.stopped };
    if (entry.state.nextSeq === 0) {
      this.entries.delete(channel);
      return { state: null, stopped: null };
    }
    return { state: entry.state, stopped: null };
  }

  /** Forgets every state: after a failed write their folds may be ahead of what was stored. */
  clear(): void {
    this.entries.clear();
  }

  /**
   * Forgets what was written, keeping the folds: another writer committed rows in between,
   * so "unchanged since we wrote it" no longer means "unchanged in the table".
   */
  forgetWritten(): void {
    for (const entry of this.entries.values()) entry.written = new Map();
  }

  /** The cached entry, now the most recently used. */
  private touch(channel: string): CachedChannel | undefined {
    return this.entries.get(channel);
  }

  private fresh(channel: string): CachedChannel {
    const entry: CachedChannel = { state: initialState(), written: new Map(), stopped: null };
    this.entries.set(channel, entry);
    return entry;
  }

  /** Inserted again after a fold grew the state in place (reweigh), unless the entry left the cache meanwhile. */
  private reweigh(channel: string, entry: CachedChannel): void {
    if (this.entries.get(channel) === entry) this.entries.set(channel, entry);
  }

  /**
   * Folds the stored event at `seq` (its text `data`) unless the channel stopped or the
   * rules refuse it (then the channel stops there); whether it was folded.
   */
  fold(channel: string, entry: CachedChannel, seq: number, data: string): boolean {
    if (entry.stopped) return false;
    const violation = foldStoredText(entry.state, data, channel, this.foldOptions);
    if (violation) {
      entry.stopped = { seq, violation };
      this.onStopped?.(channel, seq, violation);
      return false;
    }
    return true;
  }

  private async foldFromStore(channel: string, entry: CachedChannel, until: number): Promise<void> {
    if (entry.stopped) return;
    const refused = await foldChannelStream(this.store, channel, entry.state, until, this.foldOptions);
    if (!refused) return;
    entry.stopped = refused;
    this.onStopped?.(channel, refused.seq, refused.violation);
  }
}
