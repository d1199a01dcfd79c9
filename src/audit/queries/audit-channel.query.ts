import { Query } from '@nestjs/cqrs';
import type { ChannelAudit } from '../audit-report';

/** The whole channel replayed from the store through the verifier. 404 for a channel without events. */
export class AuditChannelQuery extends Query<ChannelAudit> {
  constructor(
    readonly channel: string,
    /** Aborted when the caller went away: a waiting audit leaves the line, a running one stops at its next page. */
    readonly signal?: AbortSignal,
  ) {
    super();
  }
}
