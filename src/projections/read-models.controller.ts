import { Controller, Get, Param, Query, UseGuards } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiOkResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { type Caller, CurrentCaller, readableChannels } from '../auth/caller';
import { SignedRequestGuard } from '../auth/signed-request.guard';
import { ErrorDto } from '../channels/api-responses';
import { ChannelParamsDto } from '../channels/dto/channel-params.dto';
import { notFound } from '../common/api-error';
import { ChannelStateDto, RequestsDto, ReunificationsDto } from './dto/read-model-responses';
import { RequestsQueryDto } from './dto/requests-query.dto';
import { ChannelStateQuery } from './queries/channel-state.query';
import { OpenRequestsQuery } from './queries/open-requests.query';
import { ReunificationsQuery } from './queries/reunifications.query';
import type { ChannelStateView, RequestItem, ReunificationItem } from './read-model-rows';
import { NoQuery } from '../common/no-query.decorator';

const SIGNED = 'RFC 9421 signature (DESIGN.md Part 3): keyid = participant fingerprint';

/** A caller's readable channels as a query argument: null means every channel (a global auditor). */
const channelsOf = (caller: Caller): string[] | null => {
  const readable = readableChannels(caller);
  return readable && [...readable];
};

/** The read models over HTTP (DESIGN.md Part 3): only dispatches to the query bus. */
@ApiTags('read models')
@ApiResponse({ status: 401, type: ErrorDto, description: 'missing or bad signature, unknown key' })
@ApiResponse({ status: 503, type: ErrorDto, description: 'unavailable: the event store cannot be reached just now (Retry-After)' })
@Controller('v1')
@UseGuards(SignedRequestGuard)
export class ReadModelsController {
  constructor(private readonly queryBus: QueryBus) {}

  @Get('requests')
  @ApiOperation({ summary: "Requests in the caller's channels (a global auditor's: every channel), open by default", description: SIGNED })
  @ApiOkResponse({ type: RequestsDto, description: 'each with its request id, parties, category, status, proposals, transfer, information counts, times' })
  @ApiResponse({ status: 400, type: ErrorDto, description: 'malformed: an unknown status' })
  async requests(@CurrentCaller() caller: Caller, @Query() query: RequestsQueryDto): Promise<{ items: RequestItem[] }> {
    return { items: await this.queryBus.execute(new OpenRequestsQuery(channelsOf(caller), query.status ?? 'open')) };
  }

  @Get('reunifications')
  @ApiOperation({ summary: "Completed reunifications in the caller's channels (a global auditor's: every channel)", description: SIGNED })
  @ApiOkResponse({ type: ReunificationsDto, description: 'request, parties, transfer, and the released/received/completed events' })
  @ApiResponse({ status: 400, type: ErrorDto, description: 'malformed: a query member (the route takes none)' })
  async reunifications(@CurrentCaller() caller: Caller, @NoQuery() _query: void): Promise<{ items: ReunificationItem[] }> {
    return { items: await this.queryBus.execute(new ReunificationsQuery(channelsOf(caller))) };
  }

  @Get('channels/:channel/state')
  @ApiOperation({ summary: 'Agreement state of a channel', description: SIGNED })
  @ApiOkResponse({ type: ChannelStateDto, description: 'head, parties, participants, requests, proposals (acceptances by party), transfers' })
  @ApiResponse({ status: 400, type: ErrorDto, description: 'malformed: a channel that is not a lowercase uuid' })
  @ApiResponse({ status: 404, type: ErrorDto, description: 'not_found: no such channel, or the caller is no active participant' })
  async state(@Param() { channel }: ChannelParamsDto, @NoQuery() _query: void): Promise<ChannelStateView> {
    const state = await this.queryBus.execute(new ChannelStateQuery(channel));
    if (!state) throw notFound(`channel ${channel} has no events`);
    return state;
  }
}
