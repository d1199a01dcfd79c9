import { Controller, Get, Inject, Logger } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { randomUUID } from 'node:crypto';
import { EVENT_STORE, type EventStore } from '../store/event-store.port';
import { StoreOutage } from './store-outage';

const STORE_TIMEOUT_MS = 2000;

// The answers as they are, for /docs: terminus's own description names a `database` check
// and a bare 503 body, where ours are `process` and `store` and the 503 is an error body.
const CHECKS = { type: 'object', additionalProperties: { type: 'object', properties: { status: { type: 'string', enum: ['up', 'down'] } } } };
type Checks = Record<string, { status: string } & Record<string, unknown>>;
const PROCESS_UP: Checks = { process: { status: 'up', uptimeS: 42 } };
const STORE_UP: Checks = { store: { status: 'up' } };
const STORE_DOWN: Checks = { store: { status: 'down', message: 'the store does not answer' } };
/** Each route's own checks: /health both, /health/live the process, /health/ready the store. */
const Healthy = (up: Checks) =>
  ApiResponse({
    status: 200,
    description: 'every check up',
    schema: { type: 'object', properties: { status: { type: 'string', enum: ['ok'] }, info: CHECKS, error: CHECKS, details: CHECKS }, example: { status: 'ok', info: up, error: {}, details: up } },
  });
/** The store down; `up` the route's checks that still pass. */
const Unhealthy = (up: Checks) =>
  ApiResponse({
    status: 503,
    description: 'unavailable: a check is down',
    schema: {
      type: 'object',
      properties: {
        error: { type: 'string', enum: ['unavailable'] },
        message: { type: 'string' },
        health: { type: 'object', properties: { status: { type: 'string', enum: ['error'] }, info: CHECKS, error: CHECKS, details: CHECKS } },
      },
      example: { error: 'unavailable', message: 'the service is not ready', health: { status: 'error', info: up, error: STORE_DOWN, details: { ...up, ...STORE_DOWN } } },
    },
  });

/** Liveness (the process answers) and readiness (the event store answers a read in time, and takes a write after calls failed for its sake). */
@ApiTags('operations')
@Controller('health')
export class HealthController {
  private readonly logger = new Logger('Health');

  constructor(
    private readonly health: HealthCheckService,
    private readonly indicator: HealthIndicatorService,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly outage: StoreOutage,
  ) {}

  @Get()
  @HealthCheck({ swaggerDocumentation: false })
  @Healthy({ ...PROCESS_UP, ...STORE_UP })
  @Unhealthy(PROCESS_UP)
  @ApiOperation({ summary: 'Liveness and readiness: 200 when the store is reachable, 503 otherwise' })
  check() {
    return this.health.check([() => this.live(), () => this.storeReachable()]);
  }

  @Get('live')
  @HealthCheck({ swaggerDocumentation: false })
  @Healthy(PROCESS_UP)
  @ApiOperation({ summary: 'Liveness only' })
  liveness() {
    return this.health.check([() => this.live()]);
  }

  @Get('ready')
  @HealthCheck({ swaggerDocumentation: false })
  @Healthy(STORE_UP)
  @Unhealthy({})
  @ApiOperation({ summary: 'Readiness: the event store answers' })
  readiness() {
    return this.health.check([() => this.storeReachable()]);
  }

  private live() {
    return this.indicator.check('process').up({ uptimeS: Math.round(process.uptime()) });
  }

  private async storeReachable() {
    const session = this.indicator.check('store');
    try {
      await inTime(this.store.streamHead('parley-health-probe'));
    } catch (err) {
      // The cause in the log only: a store's error may name hosts or users, and /health is public.
      this.logger.warn(`readiness: the store does not answer: ${(err as Error).message}`);
      return session.down({ message: 'the store does not answer' });
    }
    // Calls failed for the store's sake lately: a store that answers reads may still refuse
    // every write (a full disk), and then every append and every signed read fails. A nonce of
    // its own proves a write; it expires like any other.
    if (this.outage.recent()) {
      try {
        await inTime(this.store.rememberNonce('parley-readiness-probe', randomUUID(), Date.now() + STORE_TIMEOUT_MS));
      } catch (err) {
        // Still failing: the outage goes on being remembered, though no request reaches an
        // instance that is not ready (else it would look ready again a minute later).
        this.outage.noteUnavailable();
        this.logger.error(`readiness: the store answers reads but refuses writes (a full disk?): ${(err as Error).message}`);
        return session.down({ message: 'the store refuses writes' });
      }
    }
    return session.up();
  }
}

/** `work`, or a rejection once STORE_TIMEOUT_MS pass without its answer. */
async function inTime<T>(work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([work, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer in ${STORE_TIMEOUT_MS} ms`)), STORE_TIMEOUT_MS)))]);
  } finally {
    clearTimeout(timer);
  }
}
