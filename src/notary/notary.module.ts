import { Global, Module } from '@nestjs/common';
import { ProjectionsModule } from '../projections/projections.module';
import { AgreeTransferHandler } from './agree-transfer.handler';
import { NOTARY_KEY } from './notary-key';
import { notaryKeyProvider } from './notary-key.provider';
import { NotarySaga } from './notary.saga';
import { NotarySweepService } from './notary-sweep.service';

/** The server's notary: its key (global: the append path and GET /v1/notary need it), saga and sweep. */
@Global()
@Module({
  imports: [ProjectionsModule],
  providers: [notaryKeyProvider, AgreeTransferHandler, NotarySaga, NotarySweepService],
  exports: [NOTARY_KEY],
})
export class NotaryModule {}
