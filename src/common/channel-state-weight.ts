/**
 * What a cached channel state costs in memory, roughly, and the cache of states bounded by
 * count and by that weight. A channel's state grows with its participants (up to 256 in an
 * opening, and more admitted later), requests and proposals, about half a kilobyte each:
 * bounded by count alone, a cache of a few thousand large channels, which anyone can open,
 * holds gigabytes.
 */
import { LRUCache } from 'lru-cache';
import type { ChannelState } from '../protocol';

/** 1 per channel, plus 1 per participant, request and proposal. */
export function channelStateWeight(state: ChannelState): number {
  return 1 + state.participants.size + state.requests.size + state.proposals.size;
}

/** The most weight a channel state cache holds: about 100 MB of states. */
export const MAX_CACHED_STATE_WEIGHT = 200_000;

/** States heavier than the whole bound kept aside, the most recently used first. */
const HEAVY_SLOTS = 2;

/**
 * Channel states (or entries holding one), least recently used dropped first, within
 * `max` entries and `maxWeight`. A state heavier than `maxWeight` on its own, which
 * lru-cache would refuse to hold, is kept aside in one of HEAVY_SLOTS instead: dropped,
 * such a channel would be folded again from its whole stream at every use (each append,
 * each projection batch), seconds of work each time for a channel anyone can grow.
 * Memory is the bound plus those few states.
 */
export class StateCache<V extends object> {
  private readonly light: LRUCache<string, V>;
  private readonly heavy = new LRUCache<string, V>({ max: HEAVY_SLOTS });

  constructor(
    max: number,
    private readonly maxWeight: number,
    private readonly weigh: (value: V) => number,
  ) {
    this.light = new LRUCache({ max, maxSize: maxWeight, sizeCalculation: weigh });
  }

  /** The entry, now the most recently used. */
  get(key: string): V | undefined {
    return this.light.get(key) ?? this.heavy.get(key);
  }

  has(key: string): boolean {
    return this.light.has(key) || this.heavy.has(key);
  }

  /**
   * Inserts the entry, or weighs it again as it is now: states grow in place, and lru-cache
   * takes an entry's size when it is inserted, keeping it when the same object is set again.
   */
  set(key: string, value: V): void {
    this.delete(key);
    if (this.weigh(value) > this.maxWeight) this.heavy.set(key, value);
    else this.light.set(key, value);
  }

  delete(key: string): void {
    this.light.delete(key);
    this.heavy.delete(key);
  }

  clear(): void {
    this.light.clear();
    this.heavy.clear();
  }

  *values(): IterableIterator<V> {
    yield* this.light.values();
    yield* this.heavy.values();
  }
}
