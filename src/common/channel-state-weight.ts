/**
 * What a cached channel state costs in memory, roughly, for caches bounded by weight as well
 * as by count. A channel's state grows with its participants (up to 256 in an opening, and
 * more admitted later), requests and proposals, about half a kilobyte each: bounded by count
 * alone, a cache of a few thousand large channels, which anyone can open, holds gigabytes.
 */
import type { LRUCache } from 'lru-cache';
import type { ChannelState } from '../protocol';

/** 1 per channel, plus 1 per participant, request and proposal. */
export function channelStateWeight(state: ChannelState): number {
  return 1 + state.participants.size + state.requests.size + state.proposals.size;
}

/** The most weight a channel state cache holds: about 100 MB of states. */
export const MAX_CACHED_STATE_WEIGHT = 200_000;

/**
 * Sets `value` under `key` again, so that `cache` weighs it as it is now: lru-cache takes an
 * entry's size when it is inserted and keeps it when the same object is set again, and
 * states grow in place.
 */
export function reweigh<V extends object>(cache: LRUCache<string, V>, key: string, value: V): void {
  cache.delete(key);
  cache.set(key, value);
}
