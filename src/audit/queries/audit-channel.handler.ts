import { Inject } from '@nestjs/common';
import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { ApiError, notFound, unavailable } from '../../common/api-error';
import { readStreamOrEmpty } from '../../channels/queries/read-events.handler';
import { LogVerifier, ZERO_HASH } from '../../protocol';
import { channelStream, EVENT_STORE, type EventStore } from '../../store/event-store.port';
import { ChannelAudit, channelAuditOf } from '../audit-report';
import { AuditChannelQuery } from './audit-channel.query';

/** Envelopes per store read: what one audit holds at a time. */
export const AUDIT_READ_PAGE = 500;
/**
 * Envelopes verified between turns of the event loop: about 10 ms of work here, so that
 * appends, reads and liveness probes wait no longer than that for an audit (a whole page
 * at a time held them some 100 ms).
 */
export const AUDIT_LINES_PER_TURN = 64;

/**
 * Channels replayed at once; further audits wait their turn. A replay verifies every
 * signature of the channel (seconds for a long one): without a bound, a few callers asking
 * at once would take every core from appends and reads.
 */
export const AUDITS_AT_ONCE = 2;
/** Audits that may wait for a replay slot; one more is answered 503, to be asked again later. */
export const AUDITS_WAITING = 8;

/** The caller went away: nobody reads the answer (status 499, as nginx logs a client that closed first). */
export const callerGone = () => new ApiError(499, 'client_closed', 'the request was closed before its audit finished');

/**
 * Streams the channel from the store through the protocol's LogVerifier, exactly as stored,
 * a page at a time; between pages other requests get their turn.
 */
@QueryHandler(AuditChannelQuery)
export class AuditChannelHandler implements IQueryHandler<AuditChannelQuery, ChannelAudit> {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  async execute({ channel, signal }: AuditChannelQuery): Promise<ChannelAudit> {
    if (signal?.aborted) throw callerGone();
    if (this.running >= AUDITS_AT_ONCE) {
      if (this.waiting.length >= AUDITS_WAITING) throw unavailable(`${AUDITS_AT_ONCE + AUDITS_WAITING} audits are running or waiting: ask again later`);
      await this.turn(signal);
    } else this.running++;
    try {
      return await this.replay(channel, signal);
    } finally {
      // The slot passes to the next in line, if any, without being freed in between.
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }

  /** Waits in line for a replay slot; leaves the line if the caller goes away first. */
  private turn(signal: AbortSignal | undefined): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const leave = () => {
        this.waiting.splice(this.waiting.indexOf(go), 1);
        reject(callerGone());
      };
      const go = () => {
        signal?.removeEventListener('abort', leave);
        resolve();
      };
      this.waiting.push(go);
      signal?.addEventListener('abort', leave, { once: true });
    });
  }

  private async replay(channel: string, signal: AbortSignal | undefined): Promise<ChannelAudit> {
    const stream = channelStream(channel);
    if ((await this.store.streamHead(stream)) === null) throw notFound(`channel ${channel} has no events`);
    const verifier = new LogVerifier({ channel });
    for (let from = 0; ; ) {
      const page = await readStreamOrEmpty(this.store, stream, from, AUDIT_READ_PAGE);
      // A caller that went away frees its slot now rather than after the whole channel.
      if (signal?.aborted) throw callerGone();
      for (let i = 0; i < page.length; i++) {
        verifier.addLine(page[i].data);
        if (i % AUDIT_LINES_PER_TURN === AUDIT_LINES_PER_TURN - 1) await nextTurn();
      }
      if (page.length < AUDIT_READ_PAGE) break;
      from += page.length;
      await nextTurn();
    }
    return channelAuditOf(verifier.report(), channel, ZERO_HASH);
  }
}
