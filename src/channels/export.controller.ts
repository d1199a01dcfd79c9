import { Controller, Get, Res, UseGuards } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { ServerResponse } from 'node:http';
import { GlobalAuditorOnly, SignedRequestGuard } from '../auth/signed-request.guard';
import { sendNdjson } from '../common/backpressure-writer';
import { ErrorDto } from './api-responses';
import { ExportLogQuery } from './queries/export-log.query';
import { NoQuery } from '../common/no-query.decorator';

@ApiTags('audit')
@ApiResponse({ status: 503, type: ErrorDto, description: 'unavailable: the event store cannot be reached just now (Retry-After)' })
@Controller('v1/export')
export class ExportController {
  constructor(private readonly queryBus: QueryBus) {}

  @Get()
  @UseGuards(SignedRequestGuard)
  @GlobalAuditorOnly()
  @ApiOperation({
    summary: 'Every channel, in global log order (a global auditor from PARLEY_AUDITORS)',
    description: 'RFC 9421 signature (DESIGN.md Part 3): keyid = the fingerprint of a global auditor',
  })
  @ApiResponse({ status: 200, content: { 'application/x-ndjson': { schema: { type: 'string' } } } })
  @ApiResponse({ status: 400, type: ErrorDto, description: 'malformed: a query member (the route takes none)' })
  @ApiResponse({ status: 401, type: ErrorDto })
  @ApiResponse({ status: 404, type: ErrorDto, description: 'a known key that is not a global auditor' })
  async export(@NoQuery() _query: void, @Res() res: ServerResponse): Promise<void> {
    await sendNdjson(res, await this.queryBus.execute(new ExportLogQuery()));
  }
}
