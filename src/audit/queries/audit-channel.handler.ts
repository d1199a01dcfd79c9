import { Inject } from '@nestjs/common';
import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { notFound } from '../../common/api-error';
import { readStreamOrEmpty } from '../../channels/queries/read-events.handler';
import { LogVerifier, ZERO_HASH } from '../../protocol';
import { channelStream, EVENT_STORE, type EventStore } from '../../store/event-store.port';
import { ChannelAudit, channelAuditOf } from '../audit-report';
import { AuditChannelQuery } from './audit-channel.query';

/** Envelopes per store read: what one audit holds at a time, and how long it runs between turns of the event loop. */
export const AUDIT_READ_PAGE = 500;

/**
 * Streams the channel from the store through the protocol's LogVerifier, exactly as stored,
 * a page at a time; between pages other requests get their turn.
 */
@QueryHandler(AuditChannelQuery)
export class AuditChannelHandler implements IQueryHandler<AuditChannelQuery, ChannelAudit> {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  async execute({ channel }: AuditChannelQuery): Promise<ChannelAudit> {
    const stream = channelStream(channel);
    if ((await this.store.streamHead(stream)) === null) throw notFound(`channel ${channel} has no events`);
    const verifier = new LogVerifier({ channel });
    for (let from = 0; ; ) {
      const page = await readStreamOrEmpty(this.store, stream, from, AUDIT_READ_PAGE);
      for (const e of page) verifier.addLine(e.data);
      if (page.length < AUDIT_READ_PAGE) break;
      from += page.length;
      await nextTurn();
    }
    return channelAuditOf(verifier.report(), channel, ZERO_HASH);
  }
}
