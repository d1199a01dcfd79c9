import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { Envelope, fingerprint, MetaByType, parseEnvelopeText, Participant } from '../protocol';
import { channelOfStream, EVENT_STORE, type EventStore } from '../store/event-store.port';
import { type KeyDirectory, KeyMembership } from './key-directory';

const PAGE = 1000;

/**
 * The key directory read from the store's global log: ChannelOpened, ParticipantAdmitted and
 * ParticipantRevoked (with its replacement) index fingerprints to memberships. Before each
 * answer it reads whatever the log gained since (one small query when nothing did), so a
 * revocation written by any process takes effect on the next request everywhere.
 */
@Injectable()
export class LogKeyDirectory implements KeyDirectory, OnApplicationBootstrap {
  private readonly logger = new Logger('LogKeyDirectory');
  private readonly byKey = new Map<string, KeyMembership[]>();
  /** `channel/participant` → its membership record (shared with byKey, mutated on revoke). */
  private readonly byParticipant = new Map<string, KeyMembership>();
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
    return (this.byKey.get(keyid) ?? []).map((m) => ({ ...m }));
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
    for (;;) {
      const page = await this.store.readAll(this.checkpoint, PAGE);
      for (const e of page) {
        const channel = channelOfStream(e.stream);
        if (channel && MEMBERSHIP_TYPES.has(e.type)) this.apply(channel, parseEnvelopeText(e.data) as Envelope);
        this.checkpoint = e.position;
      }
      if (page.length < PAGE) return;
    }
  }

  private apply(channel: string, env: Envelope): void {
    if (env.type === 'ChannelOpened') {
      for (const p of (env.meta as MetaByType['ChannelOpened']).participants) this.admit(channel, p);
    } else if (env.type === 'ParticipantAdmitted') {
      this.admit(channel, (env.meta as MetaByType['ParticipantAdmitted']).participant);
    } else if (env.type === 'ParticipantRevoked') {
      const meta = env.meta as MetaByType['ParticipantRevoked'];
      const revoked = this.byParticipant.get(`${channel}/${meta.participant}`);
      if (revoked) revoked.active = false;
      if (meta.replacement) this.admit(channel, meta.replacement);
    }
  }

  private admit(channel: string, p: Participant): void {
    const membership: KeyMembership = { channel, participant: p.id, active: true, signKey: p.signKey };
    const keyid = fingerprint(p);
    this.byParticipant.set(`${channel}/${p.id}`, membership);
    const list = this.byKey.get(keyid) ?? [];
    list.push(membership);
    this.byKey.set(keyid, list);
  }
}

const MEMBERSHIP_TYPES = new Set(['ChannelOpened', 'ParticipantAdmitted', 'ParticipantRevoked']);
