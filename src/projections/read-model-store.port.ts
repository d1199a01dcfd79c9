/**
 * The read model store port: where the projections keep their rows and their checkpoint,
 * in the same database as the events so that one transaction covers both. Adapters:
 * SQLite (the event store's better-sqlite3 handle) and PostgreSQL (its pg Pool).
 */
import type { DisplayStatus, KeyMembership, ReunificationItem, RequestItem, ChannelStateView } from './read-model-rows';

export const READ_MODEL_STORE = Symbol('READ_MODEL_STORE');

/** Rows serialised once by the projection, so every adapter stores the same bytes. */
export interface ChannelRow {
  channel: string;
  /** Proposals pending with every required acceptance: the notary's startup sweep reads it. */
  awaitingNotary: number;
  doc: string;
}
export interface RequestRow {
  channel: string;
  request: string;
  status: DisplayStatus;
  /** Seq of the ReunificationRequested: lists follow the order requests were made. */
  requestedSeq: number;
  doc: string;
}
export interface ReunificationRow {
  channel: string;
  request: string;
  /** The ReunificationCompleted's position in its channel, to list them in a stable order. */
  completedSeq: number;
  doc: string;
}
export type KeyRow = KeyMembership;

/** What one batch of events changed; rows are upserted (read models never delete). */
export interface ReadModelChanges {
  channels: ChannelRow[];
  requests: RequestRow[];
  reunifications: ReunificationRow[];
  keys: KeyRow[];
}

export const emptyChanges = (): ReadModelChanges => ({ channels: [], requests: [], reunifications: [], keys: [] });

/** Another instance moved the checkpoint since this one read it: its batch is dropped. */
export class CheckpointConflictError extends Error {
  constructor(
    readonly expected: string | null,
    readonly actual: string | null,
  ) {
    super(`projection checkpoint moved from ${expected} to ${actual} under this batch`);
    this.name = 'CheckpointConflictError';
  }
}

/** Filter of the request list: 'open' = everything not reunited or withdrawn; else one exact status. */
export type RequestFilter = { status: DisplayStatus };

/** A table dump: rows as [key columns…, value] in key order — what rebuild tests compare. */
export type ReadModelDump = Record<string, unknown[][]>;

export interface ReadModelStore {
  /** Creates the tables if missing. */
  init(): Promise<void>;
  /** The position of the last event folded into the read models, or null before the first. */
  checkpoint(): Promise<string | null>;
  /**
   * Writes the changes and moves the checkpoint from `from` to `to`, in one transaction.
   * Throws CheckpointConflictError (writing nothing) if the stored checkpoint is not `from`.
   */
  commit(changes: ReadModelChanges, from: string | null, to: string): Promise<void>;
  /** Empties every read model and the checkpoint (a rebuild from position 0 follows). */
  reset(): Promise<void>;
  /**
   * Resets (as `reset`) unless the tables were written by projection `version`, and records
   * `version`, in one transaction; whether it reset. Kept in a table of its own, which neither
   * `reset` nor a dump touches.
   */
  resetUnlessVersion(version: string): Promise<boolean>;

  /** Requests of the given channels (null: all), filtered, ordered by channel and request time. */
  requests(channels: string[] | null, filter: RequestFilter): Promise<RequestItem[]>;
  reunifications(channels: string[] | null): Promise<ReunificationItem[]>;
  channelState(channel: string): Promise<ChannelStateView | null>;
  keyMemberships(fingerprint: string): Promise<KeyMembership[]>;
  /** Channels with at least one proposal waiting for the notary. */
  channelsAwaitingNotary(): Promise<string[]>;

  dump(): Promise<ReadModelDump>;
  close(): Promise<void>;
}
