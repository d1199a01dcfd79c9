import { Controller, Get } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { ErrorDto, NotaryDto } from './api-responses';
import { GetNotaryKeyQuery } from './queries/get-notary-key.query';
import { NoQuery } from '../common/no-query.decorator';

@ApiTags('notary')
@Controller('v1/notary')
export class NotaryController {
  constructor(private readonly queryBus: QueryBus) {}

  @Get()
  @ApiOperation({ summary: 'The notary key a ChannelOpened must name (anyone)' })
  @ApiResponse({ status: 200, type: NotaryDto })
  @ApiResponse({ status: 400, type: ErrorDto, description: 'malformed: a query member (the route takes none)' })
  notary(@NoQuery() _query: void): Promise<NotaryDto> {
    return this.queryBus.execute(new GetNotaryKeyQuery());
  }
}
