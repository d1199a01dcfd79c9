import { Query } from '@nestjs/cqrs';

/** The notary key a ChannelOpened must name. */
export class GetNotaryKeyQuery extends Query<{ signKey: string }> {}
