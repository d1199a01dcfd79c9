import { Inject } from '@nestjs/common';
import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { NOTARY_KEY, type NotaryKey } from '../../notary/notary-key';
import { GetNotaryKeyQuery } from './get-notary-key.query';

@QueryHandler(GetNotaryKeyQuery)
export class GetNotaryKeyHandler implements IQueryHandler<GetNotaryKeyQuery, { signKey: string }> {
  constructor(@Inject(NOTARY_KEY) private readonly notary: NotaryKey) {}

  async execute(): Promise<{ signKey: string }> {
    return { signKey: this.notary.signKey };
  }
}
