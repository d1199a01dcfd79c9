/**
 * Real Parley servers for the service tests: the real AppModule (real store on a tmp SQLite
 * file or a PostgreSQL schema of its own, real HTTP on 127.0.0.1, port 0), configured by the
 * same `loadConfig` and `configureApp` as `npm start`; or `node dist/src/main.js` spawned.
 */
import { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { ChildProcess, spawn } from 'node:child_process';
import { AddressInfo, createServer } from 'node:net';
import { join } from 'node:path';
import { AppModule } from '../../src/app.module';
import { CLOCK } from '../../src/common/clock';
import { NotarySaga } from '../../src/notary/notary.saga';
import { NotarySweepService } from '../../src/notary/notary-sweep.service';
import { APP_OPTIONS, configureApp, type RequestTimeouts } from '../../src/common/configure-app';
import { loadConfig, PARLEY_CONFIG } from '../../src/config/parley-config';
import { EVENT_STORE, type EventStore } from '../../src/store/event-store.port';
import { POSTGRES_URL, tempDir, testSchema } from '../store/store-test-kit';
import { newNotarySeed } from '../support/negotiation-builder';

export type StoreKind = 'sqlite' | 'postgres';

/** Where a test's servers keep their events: a tmp directory, or a PostgreSQL schema of its own. */
export interface StoreLocation {
  kind: StoreKind;
  env: Record<string, string>;
  remove(): Promise<void>;
}

export function newStoreLocation(kind: StoreKind): StoreLocation {
  const dir = tempDir('parley-service-');
  if (kind === 'sqlite') {
    return { kind, env: { PARLEY_DATA_DIR: dir.path }, remove: async () => dir.remove() };
  }
  const schema = testSchema();
  return {
    kind,
    env: { PARLEY_DATA_DIR: dir.path, PARLEY_STORE: 'postgres', PARLEY_POSTGRES_URL: POSTGRES_URL, PARLEY_POSTGRES_SCHEMA: schema.name },
    remove: async () => {
      await schema.drop();
      dir.remove();
    },
  };
}

export interface TestServer {
  url: string;
  app: INestApplication;
  store: EventStore;
  close(): Promise<void>;
}

export interface StartOptions {
  /** Pins the signed-request clock (ms), e.g. to the vectors' `created`. */
  clock?: () => number;
  /**
   * Replaying a recorded log that already holds the notary's decisions: the notary's saga
   * and sweep (when the app has them) must not add their own TransferAgreed.
   */
  withoutNotaryAutomation?: boolean;
  /** Shorter limits for receiving a request than the service's own (configureApp). */
  timeouts?: Partial<RequestTimeouts>;
}

/** The app in this process, listening on 127.0.0.1:0. `env` is the service's environment. */
export async function startServer(env: Record<string, string>, options: StartOptions = {}): Promise<TestServer> {
  const config = loadConfig({ LOG_LEVEL: 'silent', ...env });
  const previousSchema = process.env.PARLEY_POSTGRES_SCHEMA;
  // The store module reads the schema from the environment, as `npm start` would.
  if (env.PARLEY_POSTGRES_SCHEMA) process.env.PARLEY_POSTGRES_SCHEMA = env.PARLEY_POSTGRES_SCHEMA;
  try {
    let builder = Test.createTestingModule({ imports: [AppModule] })
      .overrideProvider(PARLEY_CONFIG)
      .useValue(config);
    if (options.clock) builder = builder.overrideProvider(CLOCK).useValue(options.clock);
    if (options.withoutNotaryAutomation) {
      builder = builder.overrideProvider(NotarySaga).useValue({}).overrideProvider(NotarySweepService).useValue({});
    }
    const moduleRef = await builder.compile();
    const app = moduleRef.createNestApplication({ ...APP_OPTIONS, bufferLogs: true });
    configureApp(app, options.timeouts);
    await app.listen(0, '127.0.0.1');
    const { port } = app.getHttpServer().address() as AddressInfo;
    return { url: `http://127.0.0.1:${port}`, app, store: app.get(EVENT_STORE), close: () => app.close() };
  } finally {
    if (previousSchema === undefined) delete process.env.PARLEY_POSTGRES_SCHEMA;
    else process.env.PARLEY_POSTGRES_SCHEMA = previousSchema;
  }
}

/** A server in this process for a describe block: started before its tests, closed after, on a fresh store of `kind`. */
export function serverFor(kind: StoreKind, env: Record<string, string> = {}): { notarySeed: string; readonly server: TestServer } {
  const notarySeed = newNotarySeed();
  let location: StoreLocation | undefined;
  let server: TestServer | undefined;
  beforeAll(async () => {
    location = newStoreLocation(kind);
    server = await startServer({ ...location.env, PARLEY_NOTARY_SEED: notarySeed, ...env });
  });
  afterAll(async () => {
    await server?.close();
    await location?.remove();
  });
  return {
    notarySeed,
    get server() {
      if (!server) throw new Error('the server starts in beforeAll');
      return server;
    },
  };
}

export interface SpawnedServer {
  url: string;
  child: ChildProcess;
  output(): string;
  /** SIGTERM, then how it ended. */
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const MAIN = join(__dirname, '..', '..', 'dist', 'src', 'main.js');

/**
 * `node dist/src/main.js` exactly as `npm start` runs it (built by `npm test`'s pretest), on a free port (or
 * `env.PORT`, so that a restarted process keeps its address); resolves once it answers.
 */
export async function spawnServer(env: Record<string, string>): Promise<SpawnedServer> {
  const port = env.PORT ? Number(env.PORT) : await freePort();
  const child = spawn(process.execPath, [MAIN], {
    env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const url = `http://127.0.0.1:${port}`;
  // 'close', not 'exit': only then has everything the process wrote been read from its pipes.
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('close', (code, signal) => resolve({ code, signal })),
  );
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}:\n${out}`);
    try {
      if ((await fetch(`${url}/health/live`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`server did not answer within 20 s:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    child,
    output: () => out,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}
