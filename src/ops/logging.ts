import type { Params } from 'nestjs-pino';
import { destination, stdSerializers } from 'pino';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ParleyConfig } from '../config/parley-config';

/** The message of the Error pino-http makes for a 5xx answer (no error of ours says this). */
const PINO_HTTP_ERROR = /^failed with status code \d+$/;

/**
 * Structured JSON logs (pino). Requests are logged by method, route path (no query string:
 * it is not secret, but keeps lines short), status and time — never headers in full, bodies,
 * keys or signatures. The redaction list is a second line of defence should a serializer
 * ever include headers.
 *
 * Lines are written synchronously: pino's default asynchronous stdout loses whatever is
 * still buffered when Nest re-raises SIGTERM after the shutdown hooks, which is exactly
 * when "event store closed" is logged. At the default level few lines are written, so the
 * cost is small.
 */
export function loggingParams(config: ParleyConfig): Params {
  return {
    pinoHttp: [
      {
        level: config.LOG_LEVEL,
        redact: {
          paths: [
            'req.headers.signature',
            'req.headers["signature-input"]',
            'req.headers.authorization',
            'req.headers["content-digest"]',
            'req.body',
            'res.body',
          ],
          censor: '[redacted]',
        },
        serializers: {
          req: (req: IncomingMessage & { id?: unknown; url?: string }) => ({
            id: req.id,
            method: req.method,
            path: (req.url ?? '').split('?')[0],
          }),
          res: (res: ServerResponse) => ({ statusCode: res.statusCode }),
          // pino-http makes an Error for every 5xx, whose stack says only where pino-http made
          // it: its message alone. Every other error (the exception filter's, with the stack of
          // what failed) as pino serializes errors.
          err: (err: Error) => (PINO_HTTP_ERROR.test(err.message) ? { message: err.message } : stdSerializers.err(err)),
        },
        // 503 is an outage or a limit, said at warn where it is met; other 5xx are errors.
        customLogLevel: (_req, res, err) =>
          res.statusCode === 503 ? 'warn' : err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'info' : 'debug',
      },
      destination({ dest: 1, sync: true }),
    ],
  };
}
