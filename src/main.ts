/**
 * `npm start`: the Parley service. A bad configuration or a store that cannot be opened
 * stops the start with one clear line on stderr and exit code 1 (no stack trace).
 */
import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { AppModule } from './app.module';
import { APP_OPTIONS, configureApp } from './common/configure-app';
import { SQLITE_FILE_NAME } from './store/event-store.factory';
import { ConfigError, configWarnings, loadConfig, ParleyConfig } from './config/parley-config';

async function main(): Promise<void> {
  let config: ParleyConfig;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) fail(err.message);
    throw err;
  }
  try {
    // Nest's own logger stays off until pino takes over: it would print a start-up failure
    // with its stack trace before the one line below.
    const app = await NestFactory.create(AppModule, { ...APP_OPTIONS, logger: false, abortOnError: false });
    configureApp(app);
    await app.listen(config.PORT, config.HOST);
    // The store by kind (and file), never its URL: a PostgreSQL URL may carry a password.
    const store = config.PARLEY_STORE === 'sqlite' ? `sqlite at ${join(config.PARLEY_DATA_DIR, SQLITE_FILE_NAME)}` : config.PARLEY_STORE;
    // The port bound, which PORT=0 leaves to the system.
    const { port } = (app.getHttpServer() as Server).address() as AddressInfo;
    new Logger('Parley').log(`listening on http://${config.HOST}:${port} (store: ${store}; API docs at /docs)`);
    for (const warning of configWarnings(config)) new Logger('Parley').warn(warning);
    exitIfStopTakesTooLong(config.PARLEY_SHUTDOWN_GRACE_S);
  } catch (err) {
    fail(`parley: cannot start: ${listenProblem(err, config) ?? (err as Error).message}`);
  }
}

/** What a stop may take beyond the grace for requests in flight: the hooks closing projections, notary and store. */
const STOP_HOOKS_S = 5;

/**
 * Nest stops on SIGTERM/SIGINT through every module's hooks, then re-raises the signal. A hook
 * that cannot finish (a store waiting on a database lock held elsewhere) would keep the process
 * up for ever, past any supervisor's patience: past the grace and STOP_HOOKS_S it exits 1.
 * `once`: Nest's re-raised signal must find no listener of ours, or it would not end the process.
 */
function exitIfStopTakesTooLong(graceS: number): void {
  const arm = (signal: NodeJS.Signals) => {
    setTimeout(() => {
      new Logger('Parley').error(`stopping (${signal}) took more than ${graceS + STOP_HOOKS_S} s: exiting without the rest`);
      setTimeout(() => process.exit(1), 100); // for the log line to be written
    }, (graceS + STOP_HOOKS_S) * 1000).unref();
  };
  process.once('SIGTERM', arm).once('SIGINT', arm);
}

/** A listen failure in the terms of the variables that caused it. */
function listenProblem(err: unknown, config: ParleyConfig): string | null {
  const { code, syscall } = err as NodeJS.ErrnoException;
  if (syscall !== 'listen' && syscall !== 'getaddrinfo') return null;
  if (code === 'EADDRINUSE') return `PORT ${config.PORT} on ${config.HOST} is in use by another process`;
  if (code === 'EACCES') return `PORT ${config.PORT} needs privileges this process does not have (ports below 1024)`;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EADDRNOTAVAIL') return `HOST ${config.HOST} is not an address of this machine (${code})`;
  return null;
}

function fail(message: string): never {
  process.stderr.write(message.endsWith('\n') ? message : `${message}\n`);
  process.exit(1);
}

void main();
