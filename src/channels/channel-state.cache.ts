import { Inject, Injectable, Optional } from '@nestjs/common';
import { ChannelState, Envelope, evolve, initialState, parseEnvelopeText } from '../protocol';
import { channelStream, EVENT_STORE, type EventStore, StreamNotFoundError } from '../store/event-store.port';

/** How many channels' states stay in memory; the least recently used is dropped first. */
export const CHANNEL_CACHE_SIZE = Symbol('CHANNEL_CACHE_SIZE');
const DEFAULT_CHANNEL_CACHE_SIZE = 1000;
const CATCH_UP_PAGE = 1000;

/**
 * Each channel's decider state, kept in memory and caught up from the store by reading only
 * the events after the cached `nextSeq` (other processes may have appended). Callers must run
 * through the channel's KeyedQueue: states are evolved in place.
 */
@Injectable()
export class ChannelStateCache {
  private readonly states = new Map<string, ChannelState>();

  private readonly capacity: number;

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Optional() @Inject(CHANNEL_CACHE_SIZE) capacity?: number,
  ) {
    this.capacity = capacity ?? DEFAULT_CHANNEL_CACHE_SIZE;
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
    const stream = channelStream(channel);
    for (;;) {
      let page;
      try {
        page = await this.store.readStream(stream, state.nextSeq, CATCH_UP_PAGE);
      } catch (err) {
        if (err instanceof StreamNotFoundError) break;
        throw err;
      }
      // Stored events passed `check` when appended: folding them is enough.
      for (const e of page) evolve(state, parseEnvelopeText(e.data) as Envelope);
      if (page.length < CATCH_UP_PAGE) break;
    }
    this.touch(channel, state);
    return state;
  }

  /** Folds an event this process just appended (the store acknowledged it). */
  applied(channel: string, state: ChannelState, env: Envelope): void {
    evolve(state, env);
    this.touch(channel, state);
  }

  private touch(channel: string, state: ChannelState): void {
    this.states.delete(channel);
    this.states.set(channel, state);
    if (this.states.size > this.capacity) this.states.delete(this.states.keys().next().value!);
  }
}
