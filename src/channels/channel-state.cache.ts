import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { channelStateWeight, MAX_CACHED_STATE_WEIGHT, StateCache } from '../common/channel-state-weight';
import { foldChannelStream } from '../common/fold-channel-stream';
import { ChannelState, Envelope, evolve, initialState } from '../protocol';
import { EVENT_STORE, type EventStore } from '../store/event-store.port';

/** How many channels' states stay in memory (and at most MAX_CACHED_STATE_WEIGHT of them); the least recently used is dropped first. */
export const CHANNEL_CACHE_SIZE = Symbol('CHANNEL_CACHE_SIZE');
/** The most weight (channelStateWeight) of states kept; default MAX_CACHED_STATE_WEIGHT. */
export const CHANNEL_CACHE_WEIGHT = Symbol('CHANNEL_CACHE_WEIGHT');
const DEFAULT_CHANNEL_CACHE_SIZE = 1000;

/**
 * Each channel's decider state, kept in memory and caught up from the store by reading only
 * the events after the cached `nextSeq` (other processes may have appended). Callers must run
 * through the channel's KeyedQueue: states are evolved in place.
 */
@Injectable()
export class ChannelStateCache {
  private readonly states: StateCache<ChannelState>;
  /** Channels whose cached state stopped before a stored event the rules refuse. */
  private readonly stopped = new Set<string>();
  private readonly logger = new Logger('ChannelStateCache');

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Optional() @Inject(CHANNEL_CACHE_SIZE) capacity?: number,
    @Optional() @Inject(CHANNEL_CACHE_WEIGHT) maxWeight?: number,
  ) {
    this.states = new StateCache(capacity ?? DEFAULT_CHANNEL_CACHE_SIZE, maxWeight ?? MAX_CACHED_STATE_WEIGHT, channelStateWeight);
  }

  /** The cached state (possibly behind the store), or the channel caught up from the store. */
  async current(channel: string): Promise<ChannelState> {
    const hit = this.states.get(channel);
    if (!hit) return this.catchUp(channel);
    this.touch(channel, hit);
    return hit;
  }

  /** The state with every stored event applied. */
  async catchUp(channel: string): Promise<ChannelState> {
    const state = this.states.get(channel) ?? initialState();
    if (this.stopped.has(channel) && this.states.has(channel)) return state;
    this.stopped.delete(channel);
    const refused = await foldChannelStream(this.store, channel, state);
    if (refused) {
      // The state stays at the last event the rules allow: nothing can be appended after
      // the refused one (each append gets 409 with that head), and clients see the break
      // in their own verified view. `parley audit` names the event.
      this.stopped.add(channel);
      this.logger.error(`channel ${channel}: the stored event at seq ${refused.seq} breaks the rules; appends to it are refused`);
    }
    // A channel without events is not kept: appends to unknown channels must not push
    // real ones out of the cache. Its first append (applied) caches it.
    if (state.nextSeq > 0 || this.stopped.has(channel) || this.states.has(channel)) this.touch(channel, state);
    return state;
  }

  /** Folds an event this process just appended (the store acknowledged it). */
  applied(channel: string, state: ChannelState, env: Envelope): void {
    evolve(state, env);
    this.touch(channel, state);
  }

  private touch(channel: string, state: ChannelState): void {
    this.states.set(channel, state); // inserted again, not only read: the state grew in place
  }
}
