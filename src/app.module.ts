import { Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { AuditModule } from './audit/audit.module';
import { AuthModule } from './auth/auth.module';
import { ChannelsModule } from './channels/channels.module';
import { NotaryModule } from './notary/notary.module';
import { ParleyConfigModule } from './common/parley-config.module';
import { HttpDrain } from './ops/http-drain';
import { OpsModule } from './ops/ops.module';
import { ProjectionsModule } from './projections/projections.module';
import { EventStoreModule } from './store/event-store.module';

@Module({
  imports: [CqrsModule.forRoot(), ParleyConfigModule, EventStoreModule, OpsModule, AuthModule, ChannelsModule, ProjectionsModule, NotaryModule, AuditModule],
  // Here, in the root module, so that its shutdown hook runs before every other module's.
  providers: [HttpDrain],
})
export class AppModule {}
