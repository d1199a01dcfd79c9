import { Module } from '@nestjs/common';
import { CLOCK, systemClock } from '../common/clock';
import { KEY_DIRECTORY } from './key-directory';
import { LogKeyDirectory } from './log-key-directory';
import { SignedRequestGuard } from './signed-request.guard';

/** Signed requests: the guard and the key directory it resolves keyids with. */
@Module({
  providers: [systemClock, SignedRequestGuard, LogKeyDirectory, { provide: KEY_DIRECTORY, useExisting: LogKeyDirectory }],
  exports: [SignedRequestGuard, KEY_DIRECTORY, CLOCK],
})
export class AuthModule {}
