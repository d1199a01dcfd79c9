import { Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { AuthModule } from './auth/auth.module';
import { ChannelsModule } from './channels/channels.module';
import { ParleyConfigModule } from './common/parley-config.module';
import { OpsModule } from './ops/ops.module';
import { EventStoreModule } from './store/event-store.module';

@Module({
  imports: [CqrsModule.forRoot(), ParleyConfigModule, EventStoreModule, OpsModule, AuthModule, ChannelsModule],
})
export class AppModule {}
