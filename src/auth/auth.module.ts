import { Module } from '@nestjs/common';
import { KEY_DIRECTORY } from './key-directory';
import { LogKeyDirectory } from './log-key-directory';
import { SignedRequestGuard } from './signed-request.guard';

/** Signed requests: the guard and the key directory it resolves keyids with. */
@Module({
  providers: [SignedRequestGuard, LogKeyDirectory, { provide: KEY_DIRECTORY, useExisting: LogKeyDirectory }],
  exports: [SignedRequestGuard, KEY_DIRECTORY],
})
export class AuthModule {}
