/**
 * Which rows of a channel changed since they were last written. A batch re-derives a
 * touched channel's rows from its state and writes only those whose serialised form differs
 * from what this process last wrote (or all of them, once, after a restart): an event can
 * change rows it does not name (an agreement lapses other proposals, whose requests stop
 * being "proposed"), so comparing outputs is simpler and safer than predicting them.
 */
import type { ChannelState } from '../protocol';
import { channelRows, proposalsAwaitingAgreement } from './read-model-rows';
import type { ReadModelChanges } from './read-model-store.port';

/** Serialised rows last written for one channel, by row key. */
export type WrittenRows = Map<string, string>;

/** Adds to `changes` the rows of `state` that differ from `written`; returns the new `written`. */
export function collectRowChanges(state: ChannelState, written: WrittenRows, changes: ReadModelChanges): WrittenRows {
  const rows = channelRows(state);
  const channel = rows.channel.channel;
  const next: WrittenRows = new Map();
  const changed = (key: string, value: unknown): string | null => {
    const text = JSON.stringify(value);
    next.set(key, text);
    return written.get(key) === text ? null : text;
  };

  // A touched channel's head always moved, so its own row is always written.
  const awaitingNotary = proposalsAwaitingAgreement(state).length;
  changes.channels.push({ channel, awaitingNotary, doc: JSON.stringify(rows.channel) });

  for (const item of rows.requests) {
    const doc = changed(`request:${item.request}`, item);
    if (doc !== null) {
      changes.requests.push({ channel, request: item.request, status: item.status, requestedSeq: item.requested.seq, doc });
    }
  }
  for (const item of rows.reunifications) {
    const doc = changed(`reunification:${item.request}`, item);
    if (doc !== null) changes.reunifications.push({ channel, request: item.request, completedSeq: item.completed.seq, doc });
  }
  for (const key of rows.keys) {
    if (changed(`key:${key.participant}`, key) !== null) changes.keys.push(key);
  }
  return next;
}
