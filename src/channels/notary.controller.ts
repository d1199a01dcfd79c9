import { Controller, Get } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { NotaryDto } from './api-responses';
import { GetNotaryKeyQuery } from './queries/get-notary-key.query';
import { NoQuery } from '../common/no-query.decorator';

@ApiTags('notary')
@Controller('v1/notary')
export class NotaryController {
  constructor(private readonly queryBus: QueryBus) {}

  @Get()
  @ApiOperation({ summary: 'The notary key a ChannelOpened must name (anyone)' })
  @ApiResponse({ status: 200, type: NotaryDto })
  notary(@NoQuery() _query: void): Promise<NotaryDto> {
    return this.queryBus.execute(new GetNotaryKeyQuery());
  }
}
