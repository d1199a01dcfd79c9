import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The service's Prometheus metrics, on a registry of its own (several apps in one test
 * process must not collide on prom-client's global one). Injected wherever a figure moves;
 * the projections set `projectionLag`.
 */
@Injectable()
export class ParleyMetrics {
  readonly registry = new Registry();

  readonly appends = new Counter({
    name: 'parley_appends_total',
    help: 'Envelopes stored (201), and identical retries answered 200 (created="false")',
    labelNames: ['created'] as const,
    registers: [this.registry],
  });

  readonly rejections = new Counter({
    name: 'parley_append_rejections_total',
    help: 'Appends refused, by error code',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });

  readonly projectionLag = new Gauge({
    name: 'parley_projection_lag_events',
    help: 'Events in the global log not yet applied to a projection',
    labelNames: ['projection'] as const,
    registers: [this.registry],
  });

  readonly httpDuration = new Histogram({
    name: 'parley_http_request_duration_seconds',
    help: 'HTTP request latency by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }
}
