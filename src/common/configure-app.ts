import { INestApplication, ValidationPipe } from '@nestjs/common';
import type { Server } from 'node:http';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import { ParleyMetrics } from '../ops/parley-metrics';
import { StoreOutage } from '../ops/store-outage';
import { AllExceptionsFilter } from './all-exceptions.filter';
import { answerClientErrors } from './client-error';

/**
 * How `main.ts` and the service tests create the application: RawBodyMiddleware reads bodies
 * itself; and on shutdown open connections (live streams, a trickled upload) are closed
 * rather than waited for, or one of them would keep the process from ever exiting.
 */
export const APP_OPTIONS = { bodyParser: false, forceCloseConnections: true } as const;

/** Slow clients: the whole request (headers and body) must arrive within these. */
export const HEADERS_TIMEOUT_MS = 20_000;
/** Two minutes: a 1 MiB envelope over a 70 kbit/s field link still arrives. */
export const REQUEST_TIMEOUT_MS = 120_000;
/**
 * How often Node looks for requests past those limits (its default, 30 s, would let a
 * stalled client hold its socket for up to 50 s instead of 20).
 */
export const TIMEOUT_CHECK_MS = 1_000;

export interface RequestTimeouts {
  headersMs: number;
  requestMs: number;
}

/**
 * Everything an application instance needs beyond its modules, shared by `main.ts` and the
 * service tests so that both run the same pipeline (create it with APP_OPTIONS).
 */
export function configureApp(app: INestApplication, timeouts: Partial<RequestTimeouts> = {}): INestApplication {
  // Node's defaults (60 s for headers, 300 s for a request) let a client that trickles bytes
  // hold a socket for minutes; thousands of them exhaust the file descriptors. A live
  // stream's response is not limited by these: they bound receiving the request only.
  const server = app.getHttpServer() as Server;
  server.headersTimeout = timeouts.headersMs ?? HEADERS_TIMEOUT_MS;
  server.requestTimeout = timeouts.requestMs ?? REQUEST_TIMEOUT_MS;
  // Read by Node when the server starts listening, so it can still be set here.
  // (A headers limit of 0 turns it off: then the check keeps its second, never 0 ms.)
  const check = server.headersTimeout > 0 ? Math.min(TIMEOUT_CHECK_MS, server.headersTimeout) : TIMEOUT_CHECK_MS;
  (server as Server & { connectionsCheckingInterval: number }).connectionsCheckingInterval = check;
  answerClientErrors(server);
  (app.getHttpAdapter().getInstance() as { disable(setting: string): void }).disable('x-powered-by');
  app.useLogger(app.get(Logger));
  app.useGlobalFilters(new AllExceptionsFilter(app.get(ParleyMetrics), app.get(StoreOutage)));
  app.useGlobalPipes(
    new ValidationPipe({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      // One reason per member, the first that applies (see ReadEventsQueryDto), not every constraint it fails.
      stopAtFirstError: true,
      validationError: { target: false, value: false },
    }),
  );
  const document = () =>
    SwaggerModule.createDocument(
      app,
      new DocumentBuilder()
        .setTitle('Parley')
        .setDescription(
          'Signed, end-to-end encrypted negotiation channels (DESIGN.md Part 3). Every error is `{ error, message, ...fields }`.',
        )
        .setVersion('1')
        .build(),
    );
  SwaggerModule.setup('docs', app, document);
  app.enableShutdownHooks();
  return app;
}
