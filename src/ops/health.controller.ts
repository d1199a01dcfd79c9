import { Controller, Get, Inject, Logger } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { EVENT_STORE, type EventStore } from '../store/event-store.port';

const STORE_TIMEOUT_MS = 2000;

/** Liveness (the process answers) and readiness (the event store answers a read in time). */
@ApiTags('operations')
@Controller('health')
export class HealthController {
  private readonly logger = new Logger('Health');

  constructor(
    private readonly health: HealthCheckService,
    private readonly indicator: HealthIndicatorService,
    @Inject(EVENT_STORE) private readonly store: EventStore,
  ) {}

  @Get()
  @HealthCheck()
  @ApiOperation({ summary: 'Liveness and readiness: 200 when the store is reachable, 503 otherwise' })
  check() {
    return this.health.check([() => this.live(), () => this.storeReachable()]);
  }

  @Get('live')
  @HealthCheck()
  @ApiOperation({ summary: 'Liveness only' })
  liveness() {
    return this.health.check([() => this.live()]);
  }

  @Get('ready')
  @HealthCheck()
  @ApiOperation({ summary: 'Readiness: the event store answers' })
  readiness() {
    return this.health.check([() => this.storeReachable()]);
  }

  private live() {
    return this.indicator.check('process').up({ uptimeS: Math.round(process.uptime()) });
  }

  private async storeReachable() {
    const session = this.indicator.check('store');
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.store.streamHead('parley-health-probe'),
        new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer in ${STORE_TIMEOUT_MS} ms`)), STORE_TIMEOUT_MS))),
      ]);
      return session.up();
    } catch (err) {
      // The cause in the log only: a store's error may name hosts or users, and /health is public.
      this.logger.warn(`readiness: the store does not answer: ${(err as Error).message}`);
      return session.down({ message: 'the store does not answer' });
    } finally {
      clearTimeout(timer);
    }
  }
}
