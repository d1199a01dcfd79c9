import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { PARLEY_CONFIG, type ParleyConfig } from '../config/parley-config';

/** Live streams never end by themselves: shutdown does not wait for them (the SDK resumes at its Last-Event-ID). */
const LIVE_STREAM = /^\/v1\/channels\/[^/?]+\/stream\/?(?:\?|$)/i;

/**
 * A graceful stop: on shutdown the server stops accepting connections and the requests in
 * flight (an append that may already be committed among them) are answered before Nest closes
 * the rest, for at most PARLEY_SHUTDOWN_GRACE_S. Without it, a client other than our SDK
 * saw a reset for an append that was stored.
 *
 * Its destroy hook runs first of all: Nest calls them from the root module outwards, and this
 * provider belongs to AppModule, so the store, projections and notary are all still up.
 */
@Injectable()
export class HttpDrain implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('HttpDrain');
  private readonly inFlight = new Set<ServerResponse>();
  private draining = false;
  private settled?: () => void;

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    @Inject(PARLEY_CONFIG) private readonly config: ParleyConfig,
  ) {}

  onApplicationBootstrap(): void {
    // An application context without HTTP (a script) has no server to drain.
    this.server()?.on('request', this.track);
  }

  async onModuleDestroy(): Promise<void> {
    const server = this.server();
    if (!server?.listening) return;
    this.draining = true;
    // No new connections; Node also closes the idle keep-alive ones.
    server.close();
    for (const res of this.inFlight) closeAfter(res);
    if (this.inFlight.size === 0) return;
    const graceMs = this.config.PARLEY_SHUTDOWN_GRACE_S * 1000;
    this.logger.log(`stopping: answering ${this.inFlight.size} request(s) in flight first (at most ${graceMs / 1000} s)`);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      new Promise<void>((resolve) => (this.settled = resolve)),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs))),
    ]);
    clearTimeout(timer);
    if (this.inFlight.size > 0) this.logger.warn(`stopping: ${this.inFlight.size} request(s) still in flight after ${graceMs / 1000} s are cut off`);
  }

  private readonly track = (req: IncomingMessage, res: ServerResponse): void => {
    if (req.method === 'GET' && LIVE_STREAM.test(req.url ?? '')) return;
    this.inFlight.add(res);
    // A request that arrives on a kept-alive connection while draining is still answered, as the last one on it.
    if (this.draining) closeAfter(res);
    res.once('close', () => {
      this.inFlight.delete(res);
      if (this.inFlight.size === 0) this.settled?.();
    });
  };

  private server(): Server | undefined {
    return this.adapterHost.httpAdapter?.getHttpServer() as Server | undefined;
  }
}

/** The connection ends with this response, so the client does not send another on it. */
function closeAfter(res: ServerResponse): void {
  if (!res.headersSent) res.shouldKeepAlive = false;
}
