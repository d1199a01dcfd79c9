import { Query } from '@nestjs/cqrs';

/** Channels with a pending proposal whose quorum is met: the notary's startup sweep. */
export class ChannelsAwaitingNotaryQuery extends Query<string[]> {}
