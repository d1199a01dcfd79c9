import { Body, Controller, Get, Param, Post, Query, Res, UseGuards } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiBody, ApiHeader, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { ServerResponse } from 'node:http';
import { type Caller, CurrentCaller } from '../auth/caller';
import { SignedRequestGuard } from '../auth/signed-request.guard';
import { sendNdjson } from '../common/backpressure-writer';
import { LastEventIdPipe } from '../common/last-event-id.pipe';
import { ReceivedBody } from '../common/received-body.decorator';
import { RequestHeader } from '../common/request-header.decorator';
import { sendJson } from '../common/send-json';
import { sendSse, SseEvent } from '../common/sse';
import { AppendedDto, ErrorDto, HeadDto } from './api-responses';
import { AppendEventCommand } from './commands/append-event.command';
import { ChannelParamsDto } from './dto/channel-params.dto';
import { EnvelopeDto } from './dto/envelope.dto';
import { DEFAULT_PAGE, MAX_PAGE, ReadEventsQueryDto } from './dto/read-events-query.dto';
import { FollowChannelQuery } from './queries/follow-channel.query';
import { GetHeadQuery } from './queries/get-head.query';
import { ReadEventsQuery } from './queries/read-events.query';
import type { RecordedEvent } from '../store/event-store.port';
import { NoQuery } from '../common/no-query.decorator';

const SIGNED = 'RFC 9421 signature (DESIGN.md Part 3): keyid = participant fingerprint';

@ApiTags('channels')
@ApiResponse({ status: 400, type: ErrorDto, description: 'malformed (also a channel that is not a uuid)' })
@ApiResponse({ status: 503, type: ErrorDto, description: 'unavailable: the event store cannot be reached just now (Retry-After)' })
@Controller('v1/channels/:channel')
export class ChannelsController {
  constructor(
    private readonly commandBus: CommandBus,
    private readonly queryBus: QueryBus,
  ) {}

  @Post('events')
  @ApiOperation({ summary: 'Append an envelope (anyone: the envelope is its own proof)' })
  @ApiBody({ type: EnvelopeDto })
  @ApiResponse({ status: 201, type: AppendedDto, description: 'stored' })
  @ApiResponse({ status: 200, type: AppendedDto, description: 'an identical envelope was already stored' })
  @ApiResponse({ status: 409, type: ErrorDto, description: 'seq_gap, prev_mismatch or duplicate_id, with head' })
  @ApiResponse({ status: 413, type: ErrorDto, description: 'payload_too_large' })
  @ApiResponse({ status: 422, type: ErrorDto, description: 'any other violation, with seq' })
  async append(
    @Param() { channel }: ChannelParamsDto,
    @NoQuery() _query: void,
    @Body() _edgeChecked: EnvelopeDto,
    @ReceivedBody() envelope: unknown,
    @Res() res: ServerResponse,
  ): Promise<void> {
    const { created, ...result } = await this.commandBus.execute(new AppendEventCommand(channel, envelope));
    sendJson(res, created ? 201 : 200, result);
  }

  @Get('head')
  @UseGuards(SignedRequestGuard)
  @ApiOperation({ summary: 'The next seq and the hash it must chain to', description: SIGNED })
  @ApiResponse({ status: 200, type: HeadDto })
  @ApiResponse({ status: 401, type: ErrorDto })
  @ApiResponse({ status: 404, type: ErrorDto })
  head(@Param() { channel }: ChannelParamsDto, @NoQuery() _query: void): Promise<HeadDto> {
    return this.queryBus.execute(new GetHeadQuery(channel));
  }

  @Get('events')
  @UseGuards(SignedRequestGuard)
  @ApiOperation({ summary: 'Envelopes in order, exactly as stored, one per line', description: SIGNED })
  @ApiResponse({ status: 200, description: 'NDJSON of envelopes', content: { 'application/x-ndjson': { schema: { type: 'string' } } } })
  @ApiResponse({ status: 401, type: ErrorDto })
  @ApiResponse({ status: 404, type: ErrorDto })
  async events(@Param() { channel }: ChannelParamsDto, @Query() q: ReadEventsQueryDto, @Res() res: ServerResponse): Promise<void> {
    const limit = Math.min(q.limit ?? DEFAULT_PAGE, MAX_PAGE);
    const lines = await this.queryBus.execute(new ReadEventsQuery(channel, q.from ?? 0, limit));
    await sendNdjson(res, lines);
  }

  @Get('stream')
  @UseGuards(SignedRequestGuard)
  @ApiOperation({ summary: 'Server-Sent Events: catch-up, then live', description: `${SIGNED}. id: seq, event: envelope, data: the envelope` })
  @ApiHeader({ name: 'last-event-id', required: false, description: 'resume after this seq' })
  @ApiResponse({ status: 200, content: { 'text/event-stream': { schema: { type: 'string' } } } })
  @ApiResponse({ status: 401, type: ErrorDto })
  @ApiResponse({ status: 404, type: ErrorDto })
  @ApiResponse({ status: 503, type: ErrorDto, description: 'unavailable: the server serves PARLEY_MAX_STREAMS streams already; retry' })
  async stream(
    @Param() { channel }: ChannelParamsDto,
    @NoQuery() _query: void,
    @RequestHeader('last-event-id', LastEventIdPipe) from: number,
    @CurrentCaller() caller: Caller,
    @Res() res: ServerResponse,
  ): Promise<void> {
    const stop = new AbortController();
    const reader = caller.globalAuditor ? null : caller.keyid;
    const events = await this.queryBus.execute(new FollowChannelQuery(channel, from, stop.signal, reader));
    await sendSse(res, asSse(events), () => stop.abort());
  }
}

async function* asSse(events: AsyncIterable<RecordedEvent>): AsyncGenerator<SseEvent> {
  for await (const e of events) yield { id: String(e.revision), event: 'envelope', data: e.data };
}
