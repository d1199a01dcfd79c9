import { INestApplication, ValidationPipe } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import { ParleyMetrics } from '../ops/parley-metrics';
import { AllExceptionsFilter } from './all-exceptions.filter';

/**
 * Everything an application instance needs beyond its modules, shared by `main.ts` and the
 * service tests so that both run the same pipeline. The app must be created with
 * `{ bodyParser: false }`: RawBodyMiddleware reads bodies itself.
 */
export function configureApp(app: INestApplication): INestApplication {
  app.useLogger(app.get(Logger));
  app.useGlobalFilters(new AllExceptionsFilter(app.get(ParleyMetrics)));
  app.useGlobalPipes(
    new ValidationPipe({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
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
