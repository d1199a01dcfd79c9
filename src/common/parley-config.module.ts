import { Global, Module } from '@nestjs/common';
import { loadConfig, PARLEY_CONFIG } from '../config/parley-config';

/** The validated configuration under PARLEY_CONFIG (tests override the provider). */
@Global()
@Module({
  providers: [{ provide: PARLEY_CONFIG, useFactory: () => loadConfig() }],
  exports: [PARLEY_CONFIG],
})
export class ParleyConfigModule {}
