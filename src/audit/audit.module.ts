import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { AuditController } from './audit.controller';
import { AuditChannelHandler } from './queries/audit-channel.handler';

/** GET /v1/channels/{channel}/audit: the auditor's core over the stored log (issue 6). */
@Module({
  imports: [AuthModule],
  controllers: [AuditController],
  providers: [AuditChannelHandler],
})
export class AuditModule {}
