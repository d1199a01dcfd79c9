import type { Envelope } from '../../protocol';

/** Published on the CQRS event bus after the store acknowledged an append. */
export class EventAppended {
  constructor(
    readonly channel: string,
    readonly envelope: Envelope,
    readonly hash: string,
    readonly position: string,
  ) {}
}
