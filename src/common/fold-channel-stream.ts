import { setImmediate as nextTurn } from 'node:timers/promises';
import { ChannelState, type FoldOptions, foldStoredText, type Violation } from '../protocol';
import { channelStream, type EventStore, StreamNotFoundError } from '../store/event-store.port';

const PAGE = 1000;

/** A stored event the rules refuse: where a channel's folding stops. */
export interface RefusedEvent {
  seq: number;
  violation: Violation;
}

/**
 * Folds a channel's stored events into `state` (in place), from its `nextSeq` on, page by
 * page, until it holds `until` events or the stream ends. Stops before the first event the
 * rules refuse (written past the service) and returns it; null when everything read folded.
 * `options`: as foldStored's (by default the rules only, not signatures).
 * Shared by the append path's cache and the projections' so that both stop alike.
 */
export async function foldChannelStream(
  store: EventStore,
  channel: string,
  state: ChannelState,
  until = Number.MAX_SAFE_INTEGER,
  options?: FoldOptions,
): Promise<RefusedEvent | null> {
  const stream = channelStream(channel);
  while (state.nextSeq < until) {
    const want = Math.min(PAGE, until - state.nextSeq);
    let events;
    try {
      events = await store.readStream(stream, state.nextSeq, want);
    } catch (error) {
      if (error instanceof StreamNotFoundError) return null;
      throw error;
    }
    for (const e of events) {
      const violation = foldStoredText(state, e.data, channel, options);
      if (violation) return { seq: e.revision, violation };
    }
    if (events.length < want) return null;
    await nextTurn(); // a long stream read page by page (synchronous on SQLite) lets requests in between
  }
  return null;
}
