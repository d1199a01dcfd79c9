import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { type ChannelState, fingerprint, foldStoredText, initialState, MEMBERSHIP_TYPES, type ParticipantState } from '../protocol';
import { channelOfStream, comparePositions, EVENT_STORE, type EventStore, type RecordedEvent } from '../store/event-store.port';
import { type KeyDirectory, KeyMembership } from './key-directory';

const PAGE = 1000;

/**
 * The key directory read from the store's global log: ChannelOpened, ParticipantAdmitted and
 * ParticipantRevoked (with its replacement) index fingerprints to memberships. Before each
 * answer it reads whatever the log gained since (two small queries when nothing did), so a
 * revocation written by any process takes effect on the next request everywhere.
 *
 * Who is a member, and when a member stops being active, is the protocol's `check` (but
 * for seq, prev and ids, which need the other events, and for the signature and proofs,
 * verified at append: see foldStored) and `evolve` applied to those three
 * event types only (their rules and folds read and write nothing but parties and
 * participants), so the guard and the rule engine cannot disagree about a key. A stored
 * membership event the rules refuse (written past the service) stops that channel's
 * memberships where they were, and is logged; other channels are unaffected. One whose
 * only fault is a forged signature or proof is not noticed here (an audit finds it): the
 * store is the service's own, written only by checked appends.
 */
@Injectable()
export class LogKeyDirectory implements KeyDirectory, OnApplicationBootstrap {
  private readonly logger = new Logger('LogKeyDirectory');
  /** Per channel, the membership part of its state. */
  private readonly channels = new Map<string, ChannelState>();
  /** Channels whose memberships stopped at a stored event the rules refuse. */
  private readonly stopped = new Set<string>();
  /** keyid → the participant records (owned and updated by `evolve`) that carry the key. */
  private readonly byKey = new Map<string, { channel: string; participant: ParticipantState }[]>();
  private checkpoint: string | undefined;
  private syncing: Promise<void> | null = null;
  private queued: Promise<void> | null = null;

  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  /** Reads the log once at start, so that the first signed request does not wait for a long log. */
  onApplicationBootstrap(): void {
    this.sync().catch((err: Error) => this.logger.warn(`key directory not loaded at start: ${err.message}`));
  }

  async resolve(keyid: string): Promise<KeyMembership[]> {
    await this.sync();
    return (this.byKey.get(keyid) ?? []).map(({ channel, participant: p }) => ({
      channel,
      participant: p.id,
      active: p.active,
      signKey: p.record.signKey,
    }));
  }

  /**
   * A read of the log's tail that starts after this call (one under way may already have
   * passed a revocation committed just now); concurrent callers share it.
   */
  private sync(): Promise<void> {
    if (this.syncing) {
      const next = () => {
        this.queued = null;
        return this.sync();
      };
      this.queued ??= this.syncing.then(next, next);
      return this.queued;
    }
    this.syncing = this.readTail().finally(() => (this.syncing = null));
    return this.syncing;
  }

  private async readTail(): Promise<void> {
    // Taken first: every event up to it is readable now, so once the reads below reach the
    // end, what lies between the last membership event and it was of other types. The next
    // read then starts past it, not again at the last membership event.
    const end = await this.store.logEnd();
    for (;;) {
      // The membership events only: the others (messages of up to the envelope limit each)
      // are not loaded, so that catching up never reads every body of the log at once.
      const page = await this.store.readAll(this.checkpoint, PAGE, { types: MEMBERSHIP_TYPES });
      for (const e of page) {
        const channel = channelOfStream(e.stream);
        if (channel && !this.stopped.has(channel)) this.apply(channel, e);
        this.checkpoint = e.position;
      }
      if (page.length < PAGE) break;
    }
    if (end !== undefined && (this.checkpoint === undefined || comparePositions(end, this.checkpoint) > 0)) this.checkpoint = end;
  }

  private apply(channel: string, event: RecordedEvent): void {
    let state = this.channels.get(channel);
    if (!state) this.channels.set(channel, (state = initialState()));
    const known = state.participants.size;
    // Seq, prev and ids cannot be known here: this reader folds the membership events only.
    const refused = foldStoredText(state, event.data, channel, { withoutChain: true });
    if (refused) {
      this.stopped.add(channel);
      this.logger.error(`channel ${channel}: the stored ${event.type} at seq ${event.revision} breaks the rules (${refused.code}: ${refused.message}); its memberships stop before it`);
      return;
    }
    // Participants are only ever added, in order: the new ones are the last entries.
    let i = 0;
    for (const p of state.participants.values()) {
      if (i++ < known) continue;
      const keyid = fingerprint(p.record);
      const list = this.byKey.get(keyid) ?? [];
      list.push({ channel, participant: p });
      this.byKey.set(keyid, list);
    }
  }
}

