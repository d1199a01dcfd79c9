import { Inject, Logger } from '@nestjs/common';
import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { KEY_DIRECTORY, type KeyDirectory } from '../../auth/key-directory';
import { malformed, notFound, unavailable } from '../../common/api-error';
import { PARLEY_CONFIG, type ParleyConfig } from '../../config/parley-config';
import { channelStream, EVENT_STORE, type EventStore, RecordedEvent } from '../../store/event-store.port';
import { ChannelNotifier } from '../channel-notifier';
import { FollowChannelQuery } from './follow-channel.query';
import { READ_PAGE, readStreamOrEmpty } from './read-events.handler';

/** How often an idle follower re-reads the store for appends made by other processes. */
export const FOLLOW_POLL_MS = 500;

@QueryHandler(FollowChannelQuery)
export class FollowChannelHandler implements IQueryHandler<FollowChannelQuery, AsyncIterable<RecordedEvent>> {
  /** Streams being served; each holds a socket, a poll of the store and its buffers. */
  private live = 0;
  private readonly maxLive: number;
  private readonly logger = new Logger('LiveStreams');
  private warnedAtLimit = -Infinity;

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly notifier: ChannelNotifier,
    @Inject(KEY_DIRECTORY) private readonly directory: KeyDirectory,
    @Inject(PARLEY_CONFIG) config: ParleyConfig,
  ) {
    this.maxLive = config.PARLEY_MAX_STREAMS;
  }

  async execute({ channel, from, signal, readerKeyid }: FollowChannelQuery): Promise<AsyncIterable<RecordedEvent>> {
    const stream = channelStream(channel);
    const head = await this.store.streamHead(stream);
    if (head === null) throw notFound(`channel ${channel} has no events`);
    // A seq the channel does not hold: the stream would stay silent past the events the client
    // missed (a server restored from a backup, say). Said now rather than never.
    if (from > head.revision + 1) {
      throw malformed(`Last-Event-ID ${from - 1} is past the channel's last event, seq ${head.revision}: this server does not hold what you saw`);
    }
    // Anyone may open a channel and so hold a key: without a bound, streams would take the
    // process's memory and file descriptors. Clients retry a 503 (the SDK does).
    if (this.live >= this.maxLive) {
      // For the operator, at most once a minute: the limit is theirs to raise.
      const now = Date.now();
      if (now - this.warnedAtLimit >= 60_000) {
        this.warnedAtLimit = now;
        this.logger.warn(`serving ${this.maxLive} live streams, PARLEY_MAX_STREAMS: further streams are refused (503) until some end; raise it if the host has the memory and file descriptors`);
      }
      throw unavailable(`this server is serving ${this.maxLive} live streams, its limit: retry in a moment`);
    }
    this.live++;
    let held = true;
    const release = () => {
      if (held) this.live--;
      held = false;
    };
    // Released when the stream ends whichever way: aborted (the client went), or done.
    signal.addEventListener('abort', release, { once: true });
    return this.counted(this.follow(channel, stream, from, signal, readerKeyid), release);
  }

  private async *counted(events: AsyncGenerator<RecordedEvent>, release: () => void): AsyncGenerator<RecordedEvent> {
    try {
      yield* events;
    } finally {
      release();
    }
  }

  private async *follow(channel: string, stream: string, from: number, signal: AbortSignal, readerKeyid: string | null): AsyncGenerator<RecordedEvent> {
    let next = from;
    let delivered = false;
    while (!signal.aborted) {
      const page = await readStreamOrEmpty(this.store, stream, next, READ_PAGE);
      // The reader's key is asked for before the first page goes out (whatever was stored
      // before it, Last-Event-ID past it included), then whenever a page holds a
      // ParticipantRevoked: later pages follow on without a gap, and a key stops being a
      // member only by such an event of this stream. Asked after the page was read, the
      // directory has it; the revoked or rotated-out key gets nothing more.
      const ask = page.length > 0 && (!delivered || page.some((e) => e.type === 'ParticipantRevoked'));
      if (ask && readerKeyid !== null && !(await this.isActiveMember(readerKeyid, channel))) return;
      if (page.length) delivered = true;
      for (const e of page) {
        yield e;
        next = e.revision + 1;
      }
      if (page.length === READ_PAGE) continue;
      await this.notifier.wait(channel, FOLLOW_POLL_MS, signal);
    }
  }

  private async isActiveMember(keyid: string, channel: string): Promise<boolean> {
    return (await this.directory.resolve(keyid)).some((m) => m.channel === channel && m.active);
  }
}
