import { Controller, Get, Param, Res, UseGuards } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiOperation, ApiProperty, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { ServerResponse } from 'node:http';
import { SignedRequestGuard } from '../auth/signed-request.guard';
import { ErrorDto } from '../channels/api-responses';
import { ChannelParamsDto } from '../channels/dto/channel-params.dto';
import type { ChannelAudit } from './audit-report';
import { AuditChannelQuery } from './queries/audit-channel.query';
import { NoQuery } from '../common/no-query.decorator';

class AuditViolationDto {
  @ApiProperty({ type: 'integer', nullable: true, description: 'the seq written in the offending envelope (null for a line that is not an envelope)' })
  seq!: number | null;
  @ApiProperty({ example: 'bad_signature', description: 'a violation code (DESIGN.md 1.5)' }) code!: string;
  @ApiProperty() message!: string;
}

class ChannelAuditDto {
  @ApiProperty({ description: 'true when every event verifies' }) ok!: boolean;
  @ApiProperty({ description: 'events replayed' }) events!: number;
  @ApiProperty({ description: 'hash of the last verified event' }) head!: string;
  @ApiProperty({ type: [AuditViolationDto], description: "the channel's first violation, if any; the rest is unverified" })
  violations!: AuditViolationDto[];
}

@ApiTags('audit')
@ApiResponse({ status: 400, type: ErrorDto, description: 'malformed (a channel that is not a uuid)' })
@ApiResponse({ status: 503, type: ErrorDto, description: 'unavailable: ten audits are running or waiting, or the event store cannot be reached just now (Retry-After)' })
@Controller('v1/channels/:channel')
export class AuditController {
  constructor(private readonly queryBus: QueryBus) {}

  @Get('audit')
  @UseGuards(SignedRequestGuard)
  @ApiOperation({
    summary: "The channel's log as stored, replayed through the protocol's verifier",
    description: 'RFC 9421 signature (DESIGN.md Part 3): keyid = participant fingerprint, or a global auditor',
  })
  @ApiResponse({ status: 200, type: ChannelAuditDto })
  @ApiResponse({ status: 401, type: ErrorDto })
  @ApiResponse({ status: 404, type: ErrorDto })
  async audit(@Param() { channel }: ChannelParamsDto, @NoQuery() _query: void, @Res({ passthrough: true }) res: ServerResponse): Promise<ChannelAudit> {
    // A replay takes one of few slots (seconds for a long channel): a caller that leaves gives it back.
    const gone = new AbortController();
    const left = () => {
      if (!res.writableEnded) gone.abort();
    };
    res.once('close', left);
    try {
      return await this.queryBus.execute(new AuditChannelQuery(channel, gone.signal));
    } finally {
      res.off('close', left);
    }
  }
}
