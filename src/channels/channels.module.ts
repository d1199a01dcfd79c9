import { MiddlewareConsumer, Module, NestModule, RequestMethod } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { RawBodyMiddleware } from '../common/raw-body.middleware';
import { ChannelNotifier } from './channel-notifier';
import { ChannelQueue } from './channel-queue';
import { ChannelStateCache } from './channel-state.cache';
import { ChannelsController } from './channels.controller';
import { AppendEventHandler } from './commands/append-event.handler';
import { ExportController } from './export.controller';
import { NotaryController } from './notary.controller';
import { ExportLogHandler } from './queries/export-log.handler';
import { FollowChannelHandler } from './queries/follow-channel.handler';
import { GetHeadHandler } from './queries/get-head.handler';
import { GetNotaryKeyHandler } from './queries/get-notary-key.handler';
import { ReadEventsHandler } from './queries/read-events.handler';

/** Append, read and follow channels (DESIGN.md Part 3), on the CQRS buses. */
@Module({
  imports: [AuthModule],
  controllers: [ChannelsController, NotaryController, ExportController],
  providers: [
    ChannelStateCache,
    ChannelQueue,
    ChannelNotifier,
    AppendEventHandler,
    GetHeadHandler,
    ReadEventsHandler,
    FollowChannelHandler,
    ExportLogHandler,
    GetNotaryKeyHandler,
  ],
  exports: [ChannelStateCache],
})
export class ChannelsModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(RawBodyMiddleware).forRoutes({ path: 'v1/channels/:channel/events', method: RequestMethod.POST });
  }
}
