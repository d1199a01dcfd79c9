import { Global, MiddlewareConsumer, Module, NestModule } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { LoggerModule } from 'nestjs-pino';
import { PARLEY_CONFIG, ParleyConfig } from '../config/parley-config';
import { HealthController } from './health.controller';
import { HttpMetricsMiddleware } from './http-metrics.middleware';
import { loggingParams } from './logging';
import { MetricsController } from './metrics.controller';
import { ParleyMetrics } from './parley-metrics';
import { StoreOutage } from './store-outage';

/** Health, metrics and logs. Global so that any module can move a metric. */
@Global()
@Module({
  imports: [
    TerminusModule.forRoot({ errorLogStyle: 'pretty', logger: false }),
    LoggerModule.forRootAsync({ inject: [PARLEY_CONFIG], useFactory: (config: ParleyConfig) => loggingParams(config) }),
  ],
  controllers: [HealthController, MetricsController],
  providers: [ParleyMetrics, StoreOutage],
  exports: [ParleyMetrics, StoreOutage],
})
export class OpsModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(HttpMetricsMiddleware).forRoutes('*');
  }
}
