/**
 * The server side of bench/http.bench.ts, in a process of its own so that the benchmark's
 * HTTP clients do not share its thread. `service`: AppModule as `npm start` runs it;
 * `append-path`: the channel routes without projections and notary automation. The
 * environment (PARLEY_*) is the parent's; prints `listening <port>` once it accepts.
 */
import { Global, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { CqrsModule } from '@nestjs/cqrs';
import type { AddressInfo } from 'node:net';
import { AppModule } from '../src/app.module';
import { AuthModule } from '../src/auth/auth.module';
import { ChannelsModule } from '../src/channels/channels.module';
import { configureApp } from '../src/common/configure-app';
import { ParleyConfigModule } from '../src/common/parley-config.module';
import { notaryKeyProvider } from '../src/notary/notary-key.provider';
import { OpsModule } from '../src/ops/ops.module';
import { EventStoreModule } from '../src/store/event-store.module';

/** The notary's key without its saga and sweep. */
@Global()
@Module({ providers: [notaryKeyProvider], exports: [notaryKeyProvider.provide] })
class NotaryKeyModule {}

@Module({
  imports: [CqrsModule.forRoot(), ParleyConfigModule, EventStoreModule, OpsModule, AuthModule, ChannelsModule, NotaryKeyModule],
})
class AppendPathModule {}

async function main(): Promise<void> {
  const module = process.argv[2] === 'append-path' ? AppendPathModule : AppModule;
  const app = await NestFactory.create(module, { bodyParser: false, logger: false, abortOnError: false });
  configureApp(app);
  await app.listen(0, '127.0.0.1');
  process.stdout.write(`listening ${(app.getHttpServer().address() as AddressInfo).port}\n`);
  process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));
}

main().catch((err) => {
  process.stderr.write(`bench server: ${(err as Error).message}\n`);
  process.exit(1);
});
