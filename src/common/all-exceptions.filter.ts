import { ArgumentsHost, BadRequestException, Catch, ExceptionFilter, HttpException, Logger, ServiceUnavailableException } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ParleyMetrics } from '../ops/parley-metrics';
import type { StoreOutage } from '../ops/store-outage';
import { isStoreUnavailable } from '../store/store-unavailable';
import { ApiError } from './api-error';

/**
 * POST /v1/channels/:channel/events, whatever refused it (body reader, DTO, rule engine);
 * case-insensitive, as Express routes are: /V1/CHANNELS/…/EVENTS reaches the append too.
 */
const APPEND_ROUTE = /^\/v1\/channels\/[^/?]*\/events(\?|$)/i;

/** HTTP statuses Nest raises itself, mapped to Part 3 codes. */
const CODE_BY_STATUS: Record<number, string> = {
  400: 'malformed',
  401: 'unauthorized',
  404: 'not_found',
  413: 'payload_too_large',
};

/** What a client is told when the store is out of reach: whether an append landed is then unknown. */
const STORE_UNAVAILABLE = 'the event store cannot be reached just now: retry shortly (an append sent again is stored once)';
/** Seconds a client should wait before retrying a 503: the store out of reach, or any other. */
const RETRY_AFTER_S = 1;

/**
 * The one exception filter: every error leaves as `{ error, message, ...fields }` and no
 * stack trace, body or key ever reaches the client. A store out of reach is 503
 * `unavailable` with Retry-After, logged as a warning. Unexpected errors are logged (message
 * and stack only) and answered 500 `internal`.
 */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('AllExceptionsFilter');

  constructor(
    private readonly metrics?: ParleyMetrics,
    private readonly outage?: StoreOutage,
  ) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<ServerResponse>();
    const req = host.switchToHttp().getRequest<IncomingMessage & { originalUrl?: string }>();
    const { status, body } = this.describe(exception);
    if (req.method === 'POST' && APPEND_ROUTE.test(req.originalUrl ?? req.url ?? '')) {
      this.metrics?.rejections.inc({ code: String(body.error) });
    }
    if (res.headersSent) {
      // A streaming answer already started: the only honest signal left is to cut it.
      res.destroy();
      return;
    }
    const text = JSON.stringify(body);
    res.statusCode = status;
    // Every 503 is "not now" (store out of reach, stream limit, audit queue, not ready): say when to retry.
    if (status === 503) res.setHeader('retry-after', String(RETRY_AFTER_S));
    res.setHeader('content-type', 'application/json; charset=utf-8');
    res.setHeader('content-length', Buffer.byteLength(text));
    res.end(text);
  }

  private describe(exception: unknown): { status: number; body: Record<string, unknown> } {
    if (exception instanceof ApiError) return { status: exception.status, body: exception.body() };
    if (exception instanceof BadRequestException) {
      return { status: 400, body: { error: 'malformed', message: validationMessage(exception) } };
    }
    if (exception instanceof ServiceUnavailableException) {
      // Readiness failing (terminus): say which check is down.
      return { status: 503, body: { error: 'unavailable', message: 'the service is not ready', health: exception.getResponse() } };
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const code = CODE_BY_STATUS[status];
      if (code) return { status, body: { error: code, message: plainMessage(exception) } };
      if (status < 500) return { status, body: { error: 'malformed', message: plainMessage(exception) } };
    }
    const err = exception as Error;
    if (isStoreUnavailable(exception)) {
      this.outage?.noteUnavailable();
      // The driver's words only (a code and an address, never a password or a body).
      this.logger.warn(`event store unavailable: ${err.message}`);
      return { status: 503, body: { error: 'unavailable', message: STORE_UNAVAILABLE } };
    }
    this.logger.error(`unexpected ${err?.name ?? 'error'}: ${err?.message ?? String(exception)}`, err?.stack);
    return { status: 500, body: { error: 'internal', message: 'internal error' } };
  }
}

function plainMessage(e: HttpException): string {
  const r = e.getResponse();
  if (typeof r === 'string') return r;
  const m = (r as { message?: unknown }).message;
  return Array.isArray(m) ? m.join('; ') : typeof m === 'string' ? m : e.message;
}

/** ValidationPipe's list of constraint messages, as one sentence a client can act on. */
function validationMessage(e: BadRequestException): string {
  return `invalid request: ${plainMessage(e)}`;
}
