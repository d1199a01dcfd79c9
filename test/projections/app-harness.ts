/**
 * A real service instance with the read models and the notary, in this process, listening
 * on 127.0.0.1:0: the AppModule as `npm start` builds it, plus ProjectionsModule and
 * NotaryModule (importing them again is harmless once AppModule has them).
 */
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { AddressInfo } from 'node:net';
import { AppModule } from '../../src/app.module';
import { configureApp } from '../../src/common/configure-app';
import { loadConfig, PARLEY_CONFIG } from '../../src/config/parley-config';
import { NotaryModule } from '../../src/notary/notary.module';
import { ProjectionsModule } from '../../src/projections/projections.module';
import { EVENT_STORE, type EventStore } from '../../src/store/event-store.port';

export interface ParleyApp {
  url: string;
  app: INestApplication;
  store: EventStore;
  close(): Promise<void>;
}

export async function startApp(env: Record<string, string>): Promise<ParleyApp> {
  const config = loadConfig({ LOG_LEVEL: 'silent', ...env });
  const previousSchema = process.env.PARLEY_POSTGRES_SCHEMA;
  // The store module reads the schema from the environment, as `npm start` would.
  if (env.PARLEY_POSTGRES_SCHEMA) process.env.PARLEY_POSTGRES_SCHEMA = env.PARLEY_POSTGRES_SCHEMA;
  try {
    const moduleRef = await Test.createTestingModule({ imports: [AppModule, ProjectionsModule, NotaryModule] })
      .overrideProvider(PARLEY_CONFIG)
      .useValue(config)
      .compile();
    const app = moduleRef.createNestApplication({ bodyParser: false, bufferLogs: true });
    configureApp(app);
    await app.listen(0, '127.0.0.1');
    const { port } = (app.getHttpServer().address() as AddressInfo);
    return { url: `http://127.0.0.1:${port}`, app, store: app.get(EVENT_STORE), close: () => app.close() };
  } finally {
    if (previousSchema === undefined) delete process.env.PARLEY_POSTGRES_SCHEMA;
    else process.env.PARLEY_POSTGRES_SCHEMA = previousSchema;
  }
}
